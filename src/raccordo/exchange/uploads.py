"""Limits every uploaded zip must pass before anything in it is read: 1C's archives and XLSX workbooks.

Neutral ground between the transports: the 1C protocol (`onec`) and the tabular import both open
zips sent by others, and neither should import the other to share these checks. A refusal is an
`UploadRefused` carrying the reason for people; each caller turns it into its own error.
"""

from __future__ import annotations

import zipfile

from django.utils.translation import gettext as _

# Below this many unpacked bytes no archive is a zip bomb, whatever its ratio.
RATIO_FLOOR = 1024 * 1024


class UploadRefused(Exception):
    """An uploaded file refused before it is read, with the reason for people in `reason`."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def zip_check(zf: zipfile.ZipFile, *, packed_size: int, max_entries: int, max_total: int,
              max_ratio: int) -> list[zipfile.ZipInfo]:
    """The files of an archive, after its headers passed the limits (entries, unpacked size, ratio).

    Shared by every place that opens an uploaded zip (1C archives, XLSX workbooks); the sizes are
    the headers' word, so whoever unpacks still counts what is really written.
    """
    infos = [i for i in zf.infolist() if not i.is_dir()]
    if len(infos) > max_entries:
        raise UploadRefused(_("The archive holds %(n)s files, more than the %(limit)s this node accepts.")
                            % {"n": len(infos), "limit": max_entries})
    total = sum(i.file_size for i in infos)
    if total > max_total:
        raise UploadRefused(_("The archive unpacks to more than this node accepts (%(limit)s bytes).")
                            % {"limit": max_total})
    packed = max(packed_size, 1)
    if total > RATIO_FLOOR and total / packed > max_ratio:
        raise UploadRefused(_("The archive is compressed %(ratio)s:1, more than %(limit)s:1: refused as a zip "
                              "bomb.") % {"ratio": int(total / packed), "limit": max_ratio})
    return infos
