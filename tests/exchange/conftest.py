"""Fixtures of the exchange tests: every test gets a var directory of its own (see tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _own_var_dir(var_dir):
    return var_dir
