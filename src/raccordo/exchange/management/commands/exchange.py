"""`raccordo exchange ...`: nodes, imports and runs from the command line (thin: it calls the services)."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from raccordo.core.context import change_context
from raccordo.core.models import Origin
from raccordo.exchange import nodes, runs, selectors, services, settings_file
from raccordo.exchange.conflicts import CONFLICT
from raccordo.exchange.enterprisedata import services as ed
from raccordo.exchange.enterprisedata import transport as ed_transport
from raccordo.exchange.enterprisedata import webservice as ed_webservice
from raccordo.exchange.exporters.orders import orders_export
from raccordo.exchange.importers.documents import REFUSED, REQUISITES
from raccordo.exchange.models import ExchangeNode, ExchangeTask, NodeKind, RecordPolicy, Run
from raccordo.exchange.scheduling import NodeBusy, task_run


class Progress:
    """A one-line progress bar on a terminal; silent when output is piped."""

    def __init__(self, stream):
        self.stream = stream
        self.enabled = stream.isatty()
        self.last = 0.0

    def __call__(self, run) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.last < 0.2:
            return
        self.last = now
        total = run.progress_total or 1
        share = min(run.progress_done / total, 1.0)
        bar = "#" * int(share * 30)
        self.stream.write(f"\r[{bar:<30}] {share:6.1%}  created {run.created}  updated {run.updated}  "
                          f"unchanged {run.unchanged}  failed {run.failed}")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")


def _add_node_parser(sub) -> None:
    """`node add|list`: register and list exchange nodes."""
    node = sub.add_parser("node", help="exchange nodes (peers)")
    node_sub = node.add_subparsers(dest="node_action", required=True)
    add = node_sub.add_parser("add", help="register a node")
    add.add_argument("code")
    add.add_argument("--kind", choices=[k.value for k in NodeKind], default=NodeKind.ONEC_HTTP)
    add.add_argument("--name", default="")
    add.add_argument("--login", default="")
    add.add_argument("--password", default="")
    add.add_argument("--path", default="")
    node_sub.add_parser("list", help="list nodes")


def _add_import_parsers(sub) -> None:
    """`import`, `retry` and `export-orders`: CommerceML files in, failed records again, orders out."""
    imp = sub.add_parser("import", help="import CommerceML files (one exchange, in the order given)")
    imp.add_argument("files", nargs="+")
    imp.add_argument("--node", help="node code (default: 'local', files imported by hand)")
    imp.add_argument("--json", action="store_true", help="print the run's counters as JSON")
    imp.add_argument("--dry-run", action="store_true",
                     help="do everything, then roll it back: report what would be created, updated, rejected")
    imp.add_argument("--on-error", choices=[p.value for p in RecordPolicy], default=RecordPolicy.SKIP,
                     help="what a failing record does: skip it, end the step or stop the run")
    imp.add_argument("--no-keep", action="store_true",
                     help="do not keep a copy of the files with the run (it cannot be retried then)")

    retry = sub.add_parser("retry", help="import again only the records that failed in a run, from its kept files")
    retry.add_argument("run", help="the run's id")
    retry.add_argument("--json", action="store_true", help="print the new run's counters as JSON")

    exp = sub.add_parser("export-orders", help="write orders not yet acknowledged by the node")
    exp.add_argument("--node", required=True)
    exp.add_argument("-o", "--output", required=True, help="file to write")
    exp.add_argument("--no-ack", action="store_true",
                     help="do not mark them as delivered (send them again next time)")


def _add_settings_parser(sub) -> None:
    """`settings export|import`: a node's settings as a JSON file."""
    st = sub.add_parser("settings", help="a node's settings as a file (JSON)")
    st_sub = st.add_subparsers(dest="settings_action", required=True)
    st_exp = st_sub.add_parser("export", help="write a node's settings (never its password)")
    st_exp.add_argument("node")
    st_exp.add_argument("-o", "--output", required=True, help="file to write ('-' for standard output)")
    st_imp = st_sub.add_parser("import", help="create or update a node from a settings file")
    st_imp.add_argument("file")
    st_imp.add_argument("--password", default=None, help="the node's exchange password (not in the file)")


def _add_task_parser(sub) -> None:
    """`run`: run an exchange task here, not in the worker."""
    task = sub.add_parser("run", help="run an exchange task (NODE/TASK, or TASK when its name is unique)")
    task.add_argument("task")
    task.add_argument("--dry-run", action="store_true", help="run every step, then roll back what it wrote")
    task.add_argument("--json", action="store_true", help="print each step's run as JSON")


def _add_enterprisedata_parser(sub) -> None:
    """`enterprisedata setup|run`: the EnterpriseData exchange over a folder, FTP or 1C's web service."""
    ed = sub.add_parser("enterprisedata",
                        help="exchange with 1C in EnterpriseData (universal format), folder, FTP or web service")
    ed_sub = ed.add_subparsers(dest="ed_action", required=True)
    ed_setup = ed_sub.add_parser("setup", help="set the node codes of both sides (as 1C's sync settings show them)")
    ed_setup.add_argument("--node", required=True)
    ed_setup.add_argument("--our-code", required=True, help="the code 1C gives Raccordo (1C's To)")
    ed_setup.add_argument("--peer-code", required=True, help="1C's own node code (1C's From)")
    ed_setup.add_argument("--prefix", default="RC", help="Raccordo's infobase prefix sent to 1C")
    ed_setup.add_argument("--versions", default="", help="versions accepted, e.g. 1.16,1.17 (default: all written)")
    ed_setup.add_argument("--folder", action="store_true", help="messages travel through the node's folder (default)")
    ed_setup.add_argument("--ftp", metavar="HOST[:PORT]", help="messages travel through this FTP server (passive mode)")
    ed_setup.add_argument("--ftp-user", default="anonymous")
    ed_setup.add_argument("--ftp-password-env", metavar="VAR",
                          help="environment variable holding the FTP password (else it is asked for)")
    ed_setup.add_argument("--ftp-dir", default="", help="directory on the FTP server")
    ed_setup.add_argument("--ftp-tls", action="store_true", help="FTPS: explicit TLS on the control and data channels")
    ed_setup.add_argument("--ws", metavar="URL", help="messages travel through 1C's web service EnterpriseDataExchange_1_0_1_1 "
                          "at this web publication (http(s)://server/base, or the full …/ws/….1cws address)")
    ed_setup.add_argument("--ws-user", default="", help="the 1C user the web service is called as")
    ed_setup.add_argument("--ws-password-env", metavar="VAR",
                          help="environment variable holding the 1C user's password (else it is asked for)")
    ed_setup.add_argument("--zip", action=argparse.BooleanOptionalAction, default=None,
                          help="zip our messages (1C's \"compress files\"); 1C's zips are read either way")
    ed_run = ed_sub.add_parser("run", help="read 1C's message from the node's folder or FTP directory and write ours")
    ed_run.add_argument("--node", required=True)
    ed_run.add_argument("--json", action="store_true", help="print the run's counters as JSON")
    ed_run.add_argument("--dry-run", action="store_true",
                        help="read 1C's message and gather ours, then roll back: nothing written, numbers unchanged")


class Command(BaseCommand):
    help = "Exchange with accounting: nodes, imports of CommerceML files, runs."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        _add_node_parser(sub)
        _add_import_parsers(sub)
        _add_settings_parser(sub)
        _add_task_parser(sub)
        _add_enterprisedata_parser(sub)
        runs_parser = sub.add_parser("runs", help="recent runs and their outcome")
        runs_parser.add_argument("--limit", type=int, default=20)

    def handle(self, *args, **opts):
        with change_context(origin=Origin.CLI):
            action = opts["action"]
            if action == "node":
                return self._node(opts)
            if action == "import":
                return self._import(opts)
            if action == "runs":
                return self._runs(opts)
            if action == "export-orders":
                return self._export(opts)
            if action == "settings":
                return self._settings(opts)
            if action == "run":
                return self._task(opts)
            if action == "retry":
                return self._retry(opts)
            if action == "enterprisedata":
                return self._enterprisedata(opts)
        return None

    def _node(self, opts):
        if opts["node_action"] == "add":
            if ExchangeNode.objects.filter(code=opts["code"]).exists():
                raise CommandError(f"A node with code {opts['code']!r} exists already.")
            node = nodes.node_create(user=None, code=opts["code"], name=opts["name"], kind=opts["kind"],
                                     login=opts["login"], password=opts["password"], path=opts["path"])
            self.stdout.write(f"node {node.code} ({node.get_kind_display()}) added")
            return
        for node in ExchangeNode.objects.order_by("code"):
            self.stdout.write(f"{node.code:<20} {node.kind:<10} {node.name:<30} "
                              f"sent #{node.last_sent_no} received #{node.last_received_no}")

    def _import(self, opts):
        node = None
        if opts.get("node"):
            node = ExchangeNode.objects.filter(code=opts["node"]).first()
            if node is None:
                raise CommandError(f"No node {opts['node']!r}: add it with `raccordo exchange node add`.")
        progress = Progress(sys.stderr)
        started = time.monotonic()
        run = services.exchange_import(paths=opts["files"], node=node, on_record_error=opts["on_error"],
                                       progress=progress, dry_run=opts["dry_run"],
                                       keep=not (opts["no_keep"] or opts["dry_run"]))
        progress.close()
        self._report(run, time.monotonic() - started, opts, failed="the import failed")

    def _report(self, run, elapsed: float, opts, *, failed: str, retry_of=None) -> None:
        """A finished run's outcome: its counters as JSON (--json) or a line and its first errors; exit 1 when it failed."""
        # Order documents from accounting: their requisites are applied one by one, so besides the documents'
        # counters the operator sees how many requisites were refused, and why (conflicts, refused documents).
        requisites = (run.params or {}).get(REQUISITES)
        if opts["json"]:
            extra = {"retry_of": str(retry_of.pk)} if retry_of is not None else {}
            if requisites:
                extra["requisites"] = requisites
            self.stdout.write(json.dumps({"run": str(run.pk), **extra, "kind": run.kind, "status": run.status,
                                          **run.counters(), "seconds": round(elapsed, 3)}, ensure_ascii=False))
        else:
            of = f" (retry of {retry_of.pk})" if retry_of is not None else ""
            self.stdout.write(f"run {run.pk}{of}: {run.get_status_display()} in {elapsed:.1f} s — "
                              + ", ".join(f"{k} {v}" for k, v in run.counters().items())
                              + (f"; requisites applied {requisites.get('applied', 0)}, refused "
                                 f"{requisites.get('refused', 0)}" if requisites else ""))
            shown = run.items.filter(outcome__in=("failed", REFUSED, CONFLICT, "skipped")) if requisites \
                else selectors.run_errors(run=run)
            for item in shown.order_by("id")[:20]:
                where = ":".join(str(x) for x in (item.file, item.line) if x)
                self.stdout.write(f"  {where} {item.path} [{item.code}] {item.message}")
        if run.status == "failed":
            raise CommandError(run.message or failed)

    @staticmethod
    def _password(var: str | None, option: str, prompt: str) -> str:
        """A password from the environment variable `var`, or asked on the terminal; never from the command line."""
        if var:
            if var not in os.environ:
                raise CommandError(f"{option} {var}: the environment variable {var} is not set.")
            return os.environ[var]
        if sys.stdin.isatty():
            return getpass.getpass(prompt)
        raise CommandError(f"No password: give {option} VAR (no terminal to ask on).")

    def _ftp_settings(self, opts) -> ed_transport.FtpSettings | None:
        """The FTP settings the options give (None without --ftp); the password from the environment or a prompt."""
        if not opts["ftp"]:
            return None
        host, _sep, port = opts["ftp"].rpartition(":") if ":" in opts["ftp"] else (opts["ftp"], "", "21")
        if not port.isdigit():
            raise CommandError(f"--ftp {opts['ftp']!r}: give it as host:port, e.g. ftp.example.com:21.")
        password = self._password(opts["ftp_password_env"], "--ftp-password-env",
                                  f"FTP password for {opts['ftp_user']}@{host}: ")
        return ed_transport.FtpSettings(host=host, port=int(port), user=opts["ftp_user"], password=password,
                                        directory=opts["ftp_dir"], tls=opts["ftp_tls"])

    def _ws_settings(self, opts) -> ed_webservice.WsSettings | None:
        """The web-service settings the options give (None without --ws); the password as for FTP."""
        if not opts["ws"]:
            return None
        if not opts["ws_user"]:
            raise CommandError("--ws needs --ws-user: the 1C user the web service is called as.")
        password = self._password(opts["ws_password_env"], "--ws-password-env",
                                  f"1C password for {opts['ws_user']} at {opts['ws']}: ")
        return ed_webservice.WsSettings(url=opts["ws"], user=opts["ws_user"], password=password)

    def _enterprisedata_setup(self, node, opts) -> None:
        versions = [v.strip() for v in opts["versions"].split(",") if v.strip()]
        if sum(bool(x) for x in (opts["ftp"], opts["ws"], opts["folder"])) > 1:
            raise CommandError("Choose one transport: --folder, --ftp or --ws.")
        ftp, ws = self._ftp_settings(opts), self._ws_settings(opts)
        transport = "ftp" if ftp else "ws" if ws else ("folder" if opts["folder"] else None)
        peer = ed.peer_setup(user=None, node=node, our_code=opts["our_code"], peer_code=opts["peer_code"],
                             prefix=opts["prefix"], versions=versions or None, transport=transport,
                             compress=opts["zip"], ftp=ftp, ws=ws)
        self.stdout.write(f"node {node.code}: we are {peer.our_code}, 1C is {peer.peer_code}, "
                          f"versions {', '.join(peer.versions)}; messages via {ed.transport_where(node, peer)}"
                          f"{' (zipped)' if peer.compress else ''}")

    def _enterprisedata(self, opts):
        node = ExchangeNode.objects.filter(code=opts["node"]).first()
        if node is None:
            raise CommandError(f"No node {opts['node']!r}: add it with "
                               f"`raccordo exchange node add CODE --kind enterprisedata --path DIR`.")
        try:
            if opts["ed_action"] == "setup":
                return self._enterprisedata_setup(node, opts)
            started = time.monotonic()
            run = ed.enterprisedata_exchange(node=node, dry_run=opts["dry_run"])
        except ed.ExchangeRefused as exc:
            raise CommandError(exc.message) from exc
        self._report(run, time.monotonic() - started, opts, failed="the exchange failed")

    def _retry(self, opts):
        try:
            run = Run.objects.select_related("node").filter(pk=opts["run"]).first()
        except (ValueError, ValidationError):
            run = None
        if run is None:
            raise CommandError(f"No run {opts['run']!r}: see `raccordo exchange runs`.")
        progress = Progress(sys.stderr)
        started = time.monotonic()
        try:
            retry = runs.run_retry(user=None, run=run, background=False, progress=progress)
        except runs.RetryImpossible as exc:
            raise CommandError(f"run {run.pk} cannot be retried: {exc.message}") from exc
        finally:
            progress.close()
        self._report(retry, time.monotonic() - started, opts, failed="the retry failed", retry_of=run)

    def _export(self, opts):
        node = ExchangeNode.objects.filter(code=opts["node"]).first()
        if node is None:
            raise CommandError(f"No node {opts['node']!r}.")
        with open(opts["output"], "wb") as out:
            count = orders_export(node=node, out=out, acknowledge=not opts["no_ack"])
        self.stdout.write(f"{count} order(s) written to {opts['output']} (CommerceML {node.cml_version}, "
                          f"{node.encoding})")

    def _runs(self, opts):
        for run in selectors.run_list(user=None)[: opts["limit"]]:
            files = ", ".join(run.files)[:60]
            self.stdout.write(f"{run.started_at:%Y-%m-%d %H:%M:%S} {run.status:<9} {run.node or '-'!s:<12} "
                              + " ".join(f"{k[:3]}={v}" for k, v in run.counters().items()) + f"  {files}")

    def _settings(self, opts):
        if opts["settings_action"] == "export":
            node = ExchangeNode.objects.filter(code=opts["node"]).first()
            if node is None:
                raise CommandError(f"No node {opts['node']!r}.")
            text = json.dumps(settings_file.settings_export(node), ensure_ascii=False, indent=2) + "\n"
            if opts["output"] == "-":
                self.stdout.write(text, ending="")
            else:
                with open(opts["output"], "w", encoding="utf-8") as out:
                    out.write(text)
                self.stdout.write(f"settings of node {node.code} written to {opts['output']}")
            return
        try:
            with open(opts["file"], encoding="utf-8") as src:
                data = json.load(src)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"{opts['file']}: cannot be read as JSON: {exc}") from exc
        try:
            node = settings_file.settings_import(user=None, data=data, password=opts["password"])
        except settings_file.SettingsInvalid as exc:
            raise CommandError("nothing imported:\n  " + "\n  ".join(settings_file.settings_problem_lines(exc))) \
                from exc
        self.stdout.write(f"node {node.code} imported ({node.mappings.count()} mapping(s), "
                          f"{node.tasks.count()} task(s))")

    def _task(self, opts):
        node_code, _sep, name = opts["task"].rpartition("/")
        found = ExchangeTask.objects.select_related("node").filter(name=name)
        if node_code:
            found = found.filter(node__code=node_code)
        tasks = list(found[:2])
        if not tasks:
            raise CommandError(f"No task {opts['task']!r}.")
        if len(tasks) > 1:
            raise CommandError(f"Several nodes have a task {name!r}: name it as NODE/{name}.")
        try:
            runs = task_run(task=tasks[0], dry_run=opts["dry_run"])
        except NodeBusy as exc:
            raise CommandError(exc.message) from exc
        for run in runs:
            if opts["json"]:
                self.stdout.write(json.dumps({"run": str(run.pk), "kind": run.kind, "status": run.status,
                                              **run.counters(), "message": run.message}, ensure_ascii=False))
            else:
                self.stdout.write(f"{run.kind:<8} {run.get_status_display():<22} "
                                  + ", ".join(f"{k} {v}" for k, v in run.counters().items())
                                  + (f" — {run.message}" if run.message else ""))
        if any(run.status == "failed" for run in runs):
            raise CommandError("a step of the task failed")
