"""Request body parsers of the API."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class JSONBodyParser(JSONParser):
    """DRF's JSON parser, with a body nested too deeply for Python's parser answered as 400, not 500.

    `json.loads` recurses once per level: 10,000 nested arrays end in RecursionError (finding L5). No
    Raccordo request nests more than a few levels, so the body is simply refused.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type=media_type, parser_context=parser_context)
        except RecursionError as exc:
            raise ParseError(_("JSON parse error - the document is nested too deeply.")) from exc
