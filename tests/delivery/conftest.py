from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge.loader import KnowledgeBase
from tests.delivery.support import write_kb


@pytest.fixture
def kb(tmp_path: Path) -> KnowledgeBase:
    return write_kb(tmp_path / "kb")
