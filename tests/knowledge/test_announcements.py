"""Announcements in deadlines.yaml, and the deadline fields posts use (heading, short status)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.errors import KnowledgeError
from bot.knowledge.loader import load_knowledge
from bot.settings import PROJECT_ROOT
from tests.core.conftest import SAMPLE_ENTRIES, write_kb


def announcement(ann_id: str, date: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": ann_id,
        "date": date,
        "heading": {"en": "Court sets a hearing date", "zh": "法院确定听证日期"},
        "text": {"en": "The court set a hearing.", "zh": "法院确定了听证日期。"},
        "sources": ["src-a"],
        **extra,
    }


def write_announcements(root: Path, announcements: list[dict[str, Any]], **law: Any) -> None:
    write_kb(root, SAMPLE_ENTRIES)
    path = root / "deadlines.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["deadlines"][0].update(law)
    data["announcements"] = announcements
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_announcements_load_oldest_first(tmp_path: Path) -> None:
    write_announcements(
        tmp_path,
        [announcement("later", "2026-11-26", deadline="law-effective"), announcement("earlier", "2026-03-05")],
        heading={"en": "TikTok law", "zh": "TikTok法律"},
        short={"en": "Never enforced.", "zh": "从未执行。"},
    )
    kb = load_knowledge(tmp_path)
    assert list(kb.announcements) == ["earlier", "later"]
    assert kb.announcements["later"].date == dt.date(2026, 11, 26)
    assert kb.announcements["later"].deadline == "law-effective"
    law = kb.deadlines["law-effective"]
    assert law.heading is not None and law.heading.en == "TikTok law"
    assert law.short is not None and law.short.zh == "从未执行。"


def test_announcements_are_optional(tmp_path: Path) -> None:
    write_kb(tmp_path, SAMPLE_ENTRIES)
    assert load_knowledge(tmp_path).announcements == {}


def test_every_announcement_problem_is_named(tmp_path: Path) -> None:
    write_announcements(
        tmp_path,
        [
            announcement("dup", "2026-11-26"),
            announcement("dup", "2026-11-27"),
            announcement("refs", "2026-11-26", deadline="no-such-date", sources=["no-such-source"]),
            announcement("lower", "2026-11-26", heading={"en": "court sets a date", "zh": "法院"}),
            announcement("long", "2026-11-26", text={"en": "x" * 400, "zh": "长" * 10}),
        ],
        heading={"en": "the law", "zh": "法律"},
    )
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(tmp_path)
    problems = {(p.field, p.message.split(",")[0]) for p in err.value.problems}
    assert ("deadlines[0](id=law-effective).heading.en", "Value error") in problems
    assert ("announcements[3](id=lower).heading.en", "Value error") in problems
    assert ("announcements[4](id=long).text.en", "Value error") in problems
    assert any("sentence case" in p.message for p in err.value.problems)
    assert any("at most 320 characters" in p.message for p in err.value.problems)


def test_announcement_cross_references_and_duplicates(tmp_path: Path) -> None:
    write_announcements(
        tmp_path,
        [
            announcement("dup", "2026-11-26"),
            announcement("dup", "2026-11-27"),
            announcement("refs", "2026-11-26", deadline="no-such-date", sources=["no-such-source"]),
        ],
    )
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(tmp_path)
    assert {(p.field, p.message) for p in err.value.problems} == {
        ("announcements(id=dup)", "duplicate id"),
        ("announcements(id=refs).sources", "unknown source id 'no-such-source'"),
        ("announcements(id=refs).deadline", "unknown deadline id 'no-such-date'"),
    }


def test_shipped_deadlines_have_headings_and_short_statuses() -> None:
    kb = load_knowledge(PROJECT_ROOT / "knowledge")
    for deadline in kb.deadlines.values():
        assert deadline.heading is not None and deadline.short is not None, deadline.id
    for ann in kb.announcements.values():
        assert ann.date <= dt.date(2026, 11, 26)  # nothing dated ahead of the facts
