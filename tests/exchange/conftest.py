"""Fixtures of the exchange tests: a var directory of the test's own, Huey running tasks at once."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    """Kept run files, uploads and 1C sessions of a test land in its own directory, not in the checkout's var/."""
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    return settings.VAR_DIR


@pytest.fixture
def huey_immediate():
    """Huey runs a task when it is enqueued (as the tests of the 1C endpoint do)."""
    from huey.contrib.djhuey import HUEY

    before = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = before
