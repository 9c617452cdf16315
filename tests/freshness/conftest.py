"""Fixtures for the freshness tests: a local HTTP server (a thread of its own), started and stopped per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.freshness.support import LocalServer, serve


@pytest.fixture
def server() -> Iterator[LocalServer]:
    yield from serve()
