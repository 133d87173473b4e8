"""Static files with content hashes in their names once collected, plain names before.

`raccordo serve` runs `collectstatic`, which writes every file under STATIC_ROOT twice: as itself and with a
hash of its content in its name (`app.3f2a9c.css`), both also gzip-compressed, plus a manifest mapping one to
the other. Pages then link the hashed names, which WhiteNoise serves with `Cache-Control: max-age=315360000,
immutable`: a browser keeps them for good, and a new release links new names. Before any `collectstatic`
(tests, `raccordo runserver` on a fresh checkout) the manifest is missing or lacks a file, and Django's
strict storage would fail the page; this one falls back to the plain name, which WhiteNoise serves from the
apps' own folders (WHITENOISE_USE_FINDERS) with a short cache time. A collection older than the apps' files
(checked once per process against a fingerprint written with the manifest) is ignored the same way, so an
edited script is never hidden behind its old hashed copy.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage

FINGERPRINT = ".sources-fingerprint"


def sources_fingerprint() -> str:
    """What the apps ship as static files: every name and size, and the content of Raccordo's own files.

    Third-party files (Django's admin, Swagger UI) change only with a release, which changes their sizes too;
    Raccordo's own are edited in place while developing, so their content counts. Names and sizes, not
    modification times: app servers installed at different times on different machines agree.
    """
    # Here, not at the top: the finders need the apps loaded, which they are once a storage is first used.
    from django.contrib.staticfiles import finders

    own = str(settings.PACKAGE_DIR)
    digest = hashlib.sha256()
    for finder in finders.get_finders():
        for name, storage in sorted(finder.list([]), key=lambda item: item[0]):
            path = Path(storage.path(name))
            digest.update(f"{name}\0{path.stat().st_size}\n".encode())
            if str(path).startswith(own):
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def collected_is_current() -> bool:
    """Whether STATIC_ROOT holds a collection of exactly the files the apps ship now."""
    root = Path(settings.STATIC_ROOT)
    stamp = root / FINGERPRINT
    return (root / "staticfiles.json").exists() and stamp.exists() and stamp.read_text() == sources_fingerprint()


class HashedStaticStorage(CompressedManifestStaticFilesStorage):
    """Manifest storage that links a file by its plain name when the manifest does not know it."""

    manifest_strict = False

    def load_manifest(self):
        """The manifest, unless the apps' files changed since it was written (a developer's edit, a new
        release not yet collected): then none, and pages link the plain, current files."""
        paths, manifest_hash = super().load_manifest()
        if paths and not collected_is_current():
            return {}, ""
        return paths, manifest_hash

    def save_manifest(self):
        super().save_manifest()
        (Path(settings.STATIC_ROOT) / FINGERPRINT).write_text(sources_fingerprint())

    def url_converter(self, name, hashed_files, template=None):
        """Leave a reference to a file that is not shipped as it is (vendored bundles name their source maps,
        which are left out) instead of failing the whole `collectstatic`."""
        convert = super().url_converter(name, hashed_files, template)

        def converter(matchobj):
            try:
                return convert(matchobj)
            except ValueError:
                return matchobj.group(0)

        return converter

    def stored_name(self, name):
        try:
            return super().stored_name(name)
        except ValueError:   # not collected yet: neither in the manifest nor under STATIC_ROOT
            return name
