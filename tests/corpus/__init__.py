"""Where the CommerceML corpus tests find their files.

Two sources, used together:

- the files bundled here (tests/corpus/commerceml/, written for Raccordo, see SOURCES.md beside them):
  always there, so the corpus tests always run on something;
- the full third-party corpus in shared/corpus/commerceml beside the checkout (or wherever
  RACCORDO_CML_CORPUS points): real exports of 1C and of shop modules, used whenever it is present.

A test that needs one third-party file skips, saying so, when only the bundled files are there; when not
even those are there, `commerceml_files()` raises and the tests fail to collect instead of skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

BUNDLED_COMMERCEML = Path(__file__).resolve().parent / "commerceml"
# tests/corpus/<this file> -> the checkout is parents[2]; shared/ sits beside it.
SHARED_COMMERCEML = Path(
    os.environ.get("RACCORDO_CML_CORPUS")
    or Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "commerceml"
).resolve()


def shared_commerceml_dir() -> Path | None:
    """The full third-party corpus, when it is there (None when not)."""
    return SHARED_COMMERCEML if any(SHARED_COMMERCEML.glob("*.xml")) else None


def commerceml_files() -> dict[str, Path]:
    """Every CommerceML file to test, by file name: the bundled ones, and the shared corpus's when present."""
    bundled = sorted(BUNDLED_COMMERCEML.glob("*.xml"))
    if not bundled:
        raise FileNotFoundError(
            f"The bundled CommerceML corpus is missing ({BUNDLED_COMMERCEML}): the corpus tests need it "
            f"(and use the full corpus at {SHARED_COMMERCEML} as well when it is there)."
        )
    shared = shared_commerceml_dir()
    files = {path.name: path for path in bundled}
    if shared is not None:
        files.update({path.name: path for path in sorted(shared.glob("*.xml"))})
    return dict(sorted(files.items()))
