"""A small synthetic knowledge base, so engine tests do not depend on the shipped content."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from bot.knowledge.loader import KnowledgeBase, load_knowledge


def write_kb(root: Path, entries: list[dict[str, object]], deadlines: list[dict[str, object]] | None = None) -> None:
    (root / "entries").mkdir(parents=True, exist_ok=True)
    (root / "sources").mkdir(parents=True, exist_ok=True)
    (root / "sources" / "s.yaml").write_text(
        yaml.safe_dump(
            {
                "sources": [
                    {
                        "id": "src-a",
                        "title": "A",
                        "publisher": "Pub A",
                        "url": "https://a.example/x",
                        "date": "2024-04-24",
                        "tier": "major",
                    }
                ]
            }
        )
    )
    (root / "entries" / "e.yaml").write_text(yaml.safe_dump({"entries": entries}, allow_unicode=True))
    deadlines = deadlines or [
        {
            "id": "law-effective",
            "title": {"en": "the law taking effect", "zh": "法律生效"},
            "at": "2025-01-19T00:00:00-05:00",
            "status": {"en": "It took effect but was not enforced.", "zh": "已生效但未执行。"},
            "sources": ["src-a"],
            "checked": "2026-11-26",
        }
    ]
    (root / "deadlines.yaml").write_text(
        yaml.safe_dump({"primary": "law-effective", "deadlines": deadlines}, allow_unicode=True)
    )
    (root / "synonyms.yaml").write_text(
        yaml.safe_dump(
            {
                "synonyms": [
                    {"canonical": "tiktok", "anchor": True, "variants": ["tt", "tik tok", "抖音国际版"]},
                    {"canonical": "rednote", "anchor": True, "variants": ["red note", "xhs", "xiaohongshu", "小红书"]},
                    {"canonical": "scotus", "anchor": True, "variants": ["supreme court", "justices", "最高法院"]},
                    {"canonical": "ban", "anchor": True, "variants": ["banned", "禁令"]},
                ]
            },
            allow_unicode=True,
        )
    )


def entry(entry_id: str, en_q: list[str], zh_q: list[str], en_a: str, zh_a: str, **extra: object) -> dict[str, object]:
    return {
        "id": entry_id,
        "topic": extra.pop("topic", "general"),
        "title": {"en": f"Title {entry_id}", "zh": f"标题{entry_id}"},
        "questions": {"en": en_q, "zh": zh_q},
        "keywords": extra.pop("keywords", {"en": [], "zh": []}),
        "answer": {"en": en_a, "zh": zh_a},
        "sources": ["src-a"],
        "as_of": "2025-01-17",
        "checked": "2025-01-17",
        "short": extra.pop("short", {"en": f"In short: {entry_id}.", "zh": f"简短回答：{entry_id}。"}),
        "answers": extra.pop("answers", ["date", "reason", "person", "number", "status"]),
        **extra,
    }


SAMPLE_ENTRIES = [
    entry(
        "court-ruling",
        ["Did the Supreme Court uphold the TikTok law?", "What did the justices decide about TikTok?"],
        ["最高法院支持TikTok法律吗？"],
        "Yes. On January 17, 2025 the Supreme Court unanimously upheld the law.",
        "是的。2025年1月17日，最高法院一致维持了该法律。",
        related=["rednote-what"],
    ),
    entry(
        "rednote-what",
        ["What is RedNote?", "What kind of app is Xiaohongshu?"],
        ["小红书是什么？", "小红书是什么样的应用？"],
        "RedNote (Xiaohongshu) is a Shanghai-based lifestyle app with more than 300 million monthly users.",
        "小红书（RedNote）是总部位于上海的生活方式应用，月活跃用户超过3亿。",
    ),
    entry(
        "ban-countdown",
        ["How many days until the TikTok ban?", "countdown to the ban"],
        ["离TikTok禁令还有几天？"],
        "The law's deadline was January 19, 2025.",
        "该法律的截止日期是2025年1月19日。",
        countdown="law-effective",
        keywords={"en": ["countdown", "days left"], "zh": ["倒计时"]},
    ),
]


@pytest.fixture
def sample_kb(tmp_path: Path) -> KnowledgeBase:
    write_kb(tmp_path / "kb", SAMPLE_ENTRIES)
    return load_knowledge(tmp_path / "kb")


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)
