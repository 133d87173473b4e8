"""The IMAP sync of one mailbox: new mail by UID, flag changes, deletions, a changed UIDVALIDITY.

Per folder (RFC 3501, RFC 7162):
- UIDVALIDITY differs from the stored one: the folder's UIDs are void; it is read again from the start and
  the messages already stored are matched by Message-ID (a new location, not a duplicate).
- Known messages: with CONDSTORE, only those changed since the stored HIGHESTMODSEQ are fetched (nothing
  at all when it has not moved), with QRESYNC the server also names the UIDs expunged since (VANISHED);
  without them, the stored UIDs are fetched in windows and those the server no longer returns are gone.
- New mail: UIDs above the last one imported, in windows of WINDOW UIDs: headers first (Message-ID,
  addresses), then the bodies of the messages to import, BODY_BATCH at a time. The first import of a folder
  takes only messages since the mailbox's `sync_since` date (IMAP SEARCH SINCE).
Memory stays flat whatever the size of the folder: one window is held at a time, and the progress is saved
after each window, so a user sees it move and an interrupted import resumes where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from . import reports, store
from .imap import remote_folders
from .linking import Linker
from .models import Mailbox, MailFolder, MailLocation
from .parsing import parse_headers, parse_message

WINDOW = 500
BODY_BATCH = 25
HEADER_FIELDS = ("BODY.PEEK[HEADER.FIELDS (MESSAGE-ID IN-REPLY-TO REFERENCES FROM TO CC DATE SUBJECT X-RACCORDO-DEAL "
                 "CONTENT-TYPE)]")


@dataclass
class FolderReport:
    """What one folder's sync did."""

    name: str
    new: int = 0
    located: int = 0
    flags: int = 0
    vanished: int = 0
    reset: bool = False
    error: str = ""


@dataclass
class SyncReport:
    folders: list[FolderReport] = field(default_factory=list)

    @property
    def new(self) -> int:
        return sum(f.new for f in self.folders)


def extensions_of(client: IMAPClient) -> set[str]:
    """CONDSTORE / QRESYNC as the server offers them, enabled (they must be before SELECT)."""
    caps = {c.decode().upper() if isinstance(c, bytes) else str(c).upper() for c in client.capabilities()}
    found = {name for name in ("CONDSTORE", "QRESYNC") if name in caps}
    if "QRESYNC" in found:
        found.add("CONDSTORE")  # QRESYNC implies it (RFC 7162 3.2.3)
    if found and "ENABLE" in caps:
        client.enable(*sorted(found))
    return found


def folders_refresh(mailbox: Mailbox, client: IMAPClient) -> None:
    """Create a row for each folder the server has and the mailbox does not know yet (roles from SPECIAL-USE)."""
    known = set(mailbox.folders.values_list("name", flat=True))
    for remote in remote_folders(client):
        if remote.name not in known:
            MailFolder.objects.create(mailbox=mailbox, name=remote.name, role=remote.role,
                                      is_selected=remote.selected_by_default)


class FolderSync:
    """One folder's sync over an open connection; `heartbeat()` is called after each window (lock lease)."""

    def __init__(self, client: IMAPClient, folder: MailFolder, linker: Linker, extensions: set[str],
                 heartbeat: Callable[[], None] = lambda: None):
        self.client, self.folder, self.linker = client, folder, linker
        self.condstore = "CONDSTORE" in extensions
        self.qresync = "QRESYNC" in extensions
        self.heartbeat = heartbeat
        self.report = FolderReport(name=folder.name)

    def run(self) -> FolderReport:
        folder = self.folder
        info = self.client.select_folder(folder.name, readonly=True)
        uidvalidity = int(info[b"UIDVALIDITY"])
        if folder.uidvalidity is not None and folder.uidvalidity != uidvalidity:
            store.folder_reset(folder)
            self.report.reset = True
        folder.uidvalidity = uidvalidity
        folder.total = int(info.get(b"EXISTS", 0))
        modseq = info.get(b"HIGHESTMODSEQ") if self.condstore else None
        if folder.last_uid:
            self._known_changes(modseq)
        self._new_mail(int(info.get(b"UIDNEXT") or 0))
        folder.highestmodseq = modseq
        folder.synced = folder.total
        folder.last_sync_at = timezone.now()
        folder.last_error = ""
        folder.save()
        return self.report

    # --- Known messages: flags and deletions -----------------------------------------------------------------

    def _known_changes(self, modseq: int | None) -> None:
        folder = self.folder
        if self.condstore and folder.highestmodseq and modseq:
            if modseq == folder.highestmodseq:
                return  # nothing in the folder changed since the last sync: not even a FETCH
            self._changed_since(folder.highestmodseq)
            if self.qresync:
                return
        # No CONDSTORE (or no QRESYNC for deletions): walk the stored UIDs in windows.
        self._walk_known(flags=not self.condstore)

    def _changed_since(self, since: int) -> None:
        modifiers = [f"CHANGEDSINCE {since}"] + (["VANISHED"] if self.qresync else [])
        untagged = self.client._imap.untagged_responses  # imaplib keeps VANISHED lines there for us to read
        untagged.pop("VANISHED", None)
        response = self.client.fetch(f"1:{self.folder.last_uid}", ["FLAGS", "MODSEQ"], modifiers=modifiers)
        changes = {uid: (data.get(b"FLAGS", ()), _modseq(data)) for uid, data in response.items()}
        self.report.flags += store.flags_update(self.folder, changes)
        if self.qresync:
            vanished = [uid for line in untagged.pop("VANISHED", []) for uid in _vanished_uids(line)]
            self.report.vanished += store.uids_vanish(self.folder, vanished)

    def _walk_known(self, *, flags: bool) -> None:
        after = 0
        while True:
            uids = list(MailLocation.objects.filter(folder=self.folder, uid__gt=after).order_by("uid")
                        .values_list("uid", flat=True)[:WINDOW])
            if not uids:
                return
            after = uids[-1]
            response = self.client.fetch(uids, ["FLAGS"]) if flags else {u: {} for u in self.client.search(
                ["UID", f"{uids[0]}:{uids[-1]}"])}
            if flags:
                self.report.flags += store.flags_update(
                    self.folder, {uid: (data.get(b"FLAGS", ()), None) for uid, data in response.items()})
            self.report.vanished += store.uids_vanish(self.folder, [u for u in uids if u not in response])
            self.heartbeat()

    # --- New mail --------------------------------------------------------------------------------------------

    def _windows(self, uidnext: int) -> Iterable[tuple[int, list[int]]]:
        """(last UID of the window, the UIDs in it) above the last imported UID, WINDOW UIDs at a time; the
        first import of a folder keeps only messages since the mailbox's `sync_since` date."""
        start = self.folder.last_uid + 1
        if not uidnext:
            uidnext = max(self.client.search(["UID", f"{start}:*"]), default=0) + 1
        since = self.folder.mailbox.sync_since if self.folder.last_uid == 0 else None
        while start < uidnext:
            end = min(start + WINDOW - 1, uidnext - 1)
            criteria = ["UID", f"{start}:{end}"] + (["SINCE", since] if since is not None else [])
            # Only the range's own UIDs, whatever a server adds (an unsolicited answer, "*" quirks).
            yield end, [u for u in self.client.search(criteria) if start <= u <= end]
            start = end + 1

    def _new_mail(self, uidnext: int) -> None:
        for end, uids in self._windows(uidnext):
            if uids:
                self._import_window(uids)
            self.folder.last_uid = end
            self.folder.synced = min(self.folder.total, self.folder.synced + len(uids))
            self.folder.save(update_fields=["last_uid", "synced", "total", "uidvalidity", "updated_at"])
            self.heartbeat()

    def _import_window(self, uids: list[int]) -> None:
        items = [HEADER_FIELDS, "FLAGS", "INTERNALDATE", "RFC822.SIZE"] + (["MODSEQ"] if self.condstore else [])
        response = self.client.fetch(uids, items)
        seen = []
        for uid, data in sorted(response.items()):
            raw = next((v for k, v in data.items() if k.startswith(b"BODY[HEADER")), b"") or b""
            size = int(data.get(b"RFC822.SIZE", 0))
            headers = parse_headers(raw, fallback_date=_aware(data.get(b"INTERNALDATE")), size=size)
            seen.append(store.Seen(uid=uid, flags=data.get(b"FLAGS", ()), modseq=_modseq(data), headers=headers,
                                   size=size))
        known = store.known_messages(self.folder, seen)
        self.report.located += store.locate_known(self.folder, seen, known)
        fresh: dict[str, store.Seen] = {}
        for item in seen:
            mid = item.headers.message_id
            if mid not in known and mid not in fresh and store.wanted(self.folder, item.headers, self.linker):
                fresh[mid] = item
        todo = list(fresh.values())
        for start in range(0, len(todo), BODY_BATCH):
            self._import_bodies(todo[start:start + BODY_BATCH])
        # Bounce notices that arrive later than the SMTP conversation: read by whoever registered for them
        # (mass e-mail marks the recipient bounced), whether or not the notice itself is kept as mail.
        notices = [item.uid for item in seen if item.headers.delivery_report and item.headers.message_id not in known]
        if notices and reports.readers():
            for data in self.client.fetch(notices, ["BODY.PEEK[]"]).values():
                reports.read(data.get(b"BODY[]") or b"")

    def _import_bodies(self, batch: list[store.Seen]) -> None:
        bodies = self.client.fetch([s.uid for s in batch], ["BODY.PEEK[]"])
        # One transaction per batch: one commit for BODY_BATCH messages, each still stored whole or not at all.
        with transaction.atomic():
            self._store_bodies(batch, bodies)

    def _store_bodies(self, batch: list[store.Seen], bodies: dict) -> None:
        for item in batch:
            raw = (bodies.get(item.uid) or {}).get(b"BODY[]")
            if raw is None:
                continue  # expunged between the two fetches: the next sync sees it gone
            parsed = parse_message(raw, fallback_date=item.headers.sent_at,
                                   max_attachment=store.ATTACHMENT_MAX_BYTES)
            store.message_store(self.folder, item, parsed, self.linker)
            self.report.new += 1


def _modseq(data: dict) -> int | None:
    value = data.get(b"MODSEQ")
    if isinstance(value, (tuple, list)) and value:
        value = value[0]
    return int(value) if value is not None else None


def _aware(value):
    if value is None:
        return None
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def _vanished_uids(line) -> list[int]:
    """The UIDs of a VANISHED response's data: "(EARLIER) 3:5,9" -> [3, 4, 5, 9]."""
    text = line.decode() if isinstance(line, bytes) else str(line)
    text = text.replace("(EARLIER)", "").strip()
    out: list[int] = []
    for part in filter(None, text.split(",")):
        lo, _, hi = part.strip().partition(":")
        if lo.isdigit() and (not hi or hi.isdigit()):
            out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def mailbox_sync(mailbox: Mailbox, client: IMAPClient, *, extensions: set[str] | None = None,
                 heartbeat: Callable[[], None] = lambda: None) -> SyncReport:
    """Sync every selected folder of `mailbox` over `client`; a folder's failure is recorded on the folder
    and the others go on. A lost connection (OSError) stops the whole sync: the caller records it."""
    found = extensions_of(client)
    extensions = found if extensions is None else extensions & found
    folders_refresh(mailbox, client)
    linker = Linker({mailbox.address})
    report = SyncReport()
    for folder in mailbox.folders.filter(is_selected=True).select_related("mailbox").order_by("name"):
        try:
            report.folders.append(FolderSync(client, folder, linker, extensions, heartbeat).run())
        except IMAPClientError as exc:
            folder.last_error = str(exc)[:2000]
            folder.last_error_at = timezone.now()
            folder.save(update_fields=["last_error", "last_error_at", "updated_at"])
            report.folders.append(FolderReport(name=folder.name, error=folder.last_error))
    return report
