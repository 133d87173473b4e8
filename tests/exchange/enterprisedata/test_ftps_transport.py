"""FTPS (explicit TLS on both channels): the exchange runs over a real TLS server, and a server whose
certificate is not trusted is refused before anything is written."""

from __future__ import annotations

import datetime as dt
import ipaddress

import pytest

from raccordo.exchange.enterprisedata import services as ed
from raccordo.exchange.enterprisedata import transport as tr
from raccordo.exchange.formats.enterprisedata import counterparties as fmt
from raccordo.exchange.models import NodeKind, Run
from raccordo.exchange.services import node_create
from raccordo.parties.models import Counterparty

from .conftest import OneCPeer, needs_corpus
from .test_exchange import _romashka
from .test_ftp_transport import served

pytest.importorskip("OpenSSL")   # pyftpdlib's TLS handler
from cryptography import x509  # noqa: E402  # installed with pyOpenSSL, known to be there only now
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402
from pyftpdlib.authorizers import DummyAuthorizer  # noqa: E402
from pyftpdlib.handlers import TLS_FTPHandler  # noqa: E402

pytestmark = [pytest.mark.django_db, needs_corpus]
USER, PASSWORD = "onec", "s3cret-пароль"


def _certificate(folder):
    """A self-signed certificate for 127.0.0.1 (key and certificate in one PEM file, as pyftpdlib takes it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "1C exchange test")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    path = folder / "server.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()) + cert.public_bytes(serialization.Encoding.PEM))
    ca = folder / "ca.pem"
    ca.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path, ca


@pytest.fixture
def ftps_server(tmp_path):
    """A real FTPS server on 127.0.0.1 that requires TLS on the control and the data channel."""
    root = tmp_path / "ftp-root"
    (root / "exchange").mkdir(parents=True)
    certfile, ca = _certificate(tmp_path)
    authorizer = DummyAuthorizer()
    authorizer.add_user(USER, PASSWORD, str(root), perm="elradfmwMT")
    handler = type("Handler", (TLS_FTPHandler,), {"authorizer": authorizer, "encoding": "utf-8",
                                                  "certfile": str(certfile), "tls_control_required": True,
                                                  "tls_data_required": True})
    with served(handler) as port:
        yield "127.0.0.1", port, root / "exchange", ca


def _node(host, port):
    node = node_create(user=None, code="bp", kind=NodeKind.ENTERPRISEDATA)
    ed.peer_setup(user=None, node=node, our_code="RC", peer_code="BP", transport="ftp",
                  ftp=tr.FtpSettings(host=host, port=port, user=USER, password=PASSWORD, directory="/exchange",
                                     tls=True))
    return node


def test_the_exchange_runs_over_ftps_with_a_trusted_certificate(ftps_server, message_schema, monkeypatch):
    host, port, folder, ca = ftps_server
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))    # how an administrator trusts the server's own CA
    node = _node(host, port)
    peer = OneCPeer(folder, message_schema)         # 1C writes into the directory the server serves
    peer.send(settings_only=True)
    assert ed.enterprisedata_exchange(node=node).status == "succeeded"
    peer.receive()
    peer.send([lambda v: fmt.counterparty_element(_romashka(v), v)])
    node.refresh_from_db()
    run = ed.enterprisedata_exchange(node=node)
    assert (run.status, run.created) == ("succeeded", 1), run.message
    assert Counterparty.objects.filter(inn="7707083893").exists()
    header, _records = peer.receive()
    assert header.message_no == 2


def test_an_untrusted_certificate_is_refused_before_anything_is_written(ftps_server, message_schema,
                                                                       monkeypatch, tmp_path):
    host, port, folder, _ca = ftps_server
    empty = tmp_path / "no-ca.pem"
    empty.write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(empty))   # the system's CAs do not know a self-signed server
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    node = _node(host, port)
    OneCPeer(folder, message_schema).send(settings_only=True)
    with pytest.raises(ed.ExchangeRefused) as err:
        ed.enterprisedata_exchange(node=node)
    assert "CERTIFICATE_VERIFY_FAILED" in err.value.message and f"{host}:{port}" in err.value.message
    assert Run.objects.count() == 0
    assert sorted(p.name for p in folder.iterdir()) == ["Message_BP_RC.xml"]
