"""EnterpriseData test fixtures: the XDTO packages of SSL 3.1 from the shared corpus, translated to XSD once."""

from __future__ import annotations

from pathlib import Path

import pytest

from raccordo.exchange.formats.enterprisedata import xdto

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
