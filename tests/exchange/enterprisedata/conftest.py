"""EnterpriseData test fixtures: the XDTO packages of SSL 3.1 from the shared corpus, translated to XSD once."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from raccordo.exchange.enterprisedata import services as ed
from raccordo.exchange.formats.enterprisedata import catalogs as cat
from raccordo.exchange.formats.enterprisedata import contacts as ct
from raccordo.exchange.formats.enterprisedata import counterparties as fmt
from raccordo.exchange.formats.enterprisedata import documents as doc
from raccordo.exchange.formats.enterprisedata import envelope as env
from raccordo.exchange.formats.enterprisedata import xdto
from raccordo.exchange.models import NodeKind
from raccordo.exchange.services import node_create

PACKAGES_DIR = (Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "enterprisedata"
                / "1c-syntax__ssl_3_1" / "src" / "cf" / "XDTOPackages")
PACKAGES = xdto.package_paths(PACKAGES_DIR) if PACKAGES_DIR.is_dir() else {}
needs_corpus = pytest.mark.skipif(not PACKAGES, reason=f"the shared corpus is not beside the checkout ({PACKAGES_DIR})")


@pytest.fixture(scope="session")
def xsd_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("enterprisedata-xsd")


@pytest.fixture(scope="session")
def message_schema(xsd_dir):
    """version (or None for settings-only) -> compiled lxml schema of a whole message."""
    if not PACKAGES:
        pytest.skip(f"the shared corpus is not beside the checkout ({PACKAGES_DIR})")

    def get(version):
        return xdto.compiled_schema(envelope_package=PACKAGES["envelope"],
                                    format_package=PACKAGES[version] if version else None, directory=xsd_dir)
    return get


class OneCPeer:
    """1C's side of the folder: its own counters, its cumulative outgoing file, its checks of ours."""

    def __init__(self, folder: Path, schema, *, code="BP", ours="RC", versions=("1.3", "1.8", "1.10", "1.16", "1.17")):
        self.folder, self.schema, self.code, self.ours, self.versions = folder, schema, code, ours, list(versions)
        self.sent_no = 0       # НомерОтправленного
        self.received_no = 0   # НомерПринятого
        self.version = None
        self.compress = False      # 1C's "compress files": it writes Message_….zip holding the .xml
        self.ib_prefix = ""        # with GUID codes 1C writes Message_<prefix>_<its GUID>_<our GUID>

    def write_file(self, name, data):
        """Put a file where Raccordo reads (the folder; an FTP peer overrides it)."""
        (self.folder / name).write_bytes(data)

    def read_file(self, name):
        return (self.folder / name).read_bytes()

    def file_names(self):
        return sorted(p.name for p in self.folder.iterdir())

    def send(self, objects=(), *, settings_only=False, recipient=None, message_no=None):
        """Write Message_<1C>_<us>.xml, overwriting the previous one as 1C does."""
        header = env.Header(format=env.format_uri(None if settings_only else self.version), sender=self.code,
                            recipient=self.ours if recipient is None else recipient, versions=self.versions,
                            prefix="БП", object_types=[env.ObjectTypeSupport(fmt.COUNTERPARTY)])
        if not settings_only:
            self.sent_no += 1
            header.message_no = self.sent_no if message_no is None else message_no
            header.received_no = self.received_no
        out = io.BytesIO()
        env.write_message(out, header, [o(self.version) if callable(o) else o for o in objects])
        stem = f"Message_{self.ib_prefix}_{self.code}_{self.ours}" if self.ib_prefix else f"Message_{self.code}_{self.ours}"
        data = b"\xef\xbb\xbf" + out.getvalue()
        if self.compress:
            packed = io.BytesIO()
            with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(f"{stem}.xml", data)
            self.write_file(f"{stem}.zip", packed.getvalue())
        else:
            self.write_file(f"{stem}.xml", data)

    def receive(self):
        """Read Raccordo's message as 1C would: schema-valid, addressed to 1C; returns (header, records)."""
        names = [n for n in self.file_names() if n.startswith("Message_") and n[:-4].endswith(f"_{self.ours}_{self.code}")]
        assert len(names) == 1, names      # ours replaced its older self, in either form
        data = self.read_file(names[0])
        if names[0].endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                [member] = zf.namelist()
                assert member == names[0][:-4] + ".xml"
                data = zf.read(member)
        reader = env.MessageReader(io.BytesIO(data))
        header = reader.header
        version = header.version
        tree = etree.fromstring(data)
        assert self.schema(version).validate(tree), self.schema(version).error_log
        env.check_addressed(header, our_codes=[self.code], peer_codes=[self.ours])
        self.version = self.version or env.highest_common_version(self.versions, header.versions)
        if header.settings_only or env.already_received(header, self.received_no):
            return header, []
        records = [fmt.read_object(el, version) or cat.read_catalog_object(el, version)
                   or doc.read_document(el, version) or ct.read_contact(el, version) for el in reader.objects()]
        self.received_no = header.message_no
        return header, records


@pytest.fixture
def node(tmp_path):
    folder = tmp_path / "exchange"
    folder.mkdir()
    node = node_create(user=None, code="bp", kind=NodeKind.ENTERPRISEDATA, path=str(folder))
    ed.peer_setup(user=None, node=node, our_code="RC", peer_code="BP")
    return node


@pytest.fixture
def peer(node, message_schema):
    return OneCPeer(Path(node.path), message_schema)
