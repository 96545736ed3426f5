"""Fixtures the integration tests share beyond tests/conftest.py's."""

from __future__ import annotations

import os

import pytest
from coupon_service import settings


@pytest.fixture
def importing(stack, monkeypatch):
    """The import function's own environment (its bucket and queue), as the template gives it."""
    for name, value in stack.environment("ImportFunction").items():
        monkeypatch.setenv(name, value)
    settings.settings.cache_clear()
    yield os.environ["IMPORT_BUCKET"]
    settings.settings.cache_clear()
