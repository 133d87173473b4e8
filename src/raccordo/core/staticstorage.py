"""Static files with content hashes in their names once collected, plain names before.

`raccordo serve` runs `collectstatic`, which writes every file under STATIC_ROOT twice: as itself and with a
hash of its content in its name (`app.3f2a9c.css`), both also gzip-compressed, plus a manifest mapping one to
the other. Pages then link the hashed names, which WhiteNoise serves with `Cache-Control: max-age=315360000,
immutable`: a browser keeps them for good, and a new release links new names. Before any `collectstatic`
(tests, `raccordo runserver` on a fresh checkout) the manifest is missing or lacks a file, and Django's
strict storage would fail the page; this one falls back to the plain name, which WhiteNoise serves from the
apps' own folders (WHITENOISE_USE_FINDERS) with a short cache time.
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class HashedStaticStorage(CompressedManifestStaticFilesStorage):
    """Manifest storage that links a file by its plain name when the manifest does not know it."""

    manifest_strict = False

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
