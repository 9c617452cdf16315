"""The `banbot ask` contract (DESIGN.md §3) through the real console script entry point."""

from __future__ import annotations

import json
import subprocess
import sys

from bot.settings import PROJECT_ROOT


def _banbot(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=False,
    )


def test_ask_jsonl_contract_in_order_with_per_line_now() -> None:
    lines = [
        {"id": "a", "question": "how many days until the tiktok ban", "now": "2025-01-16T10:00:00Z"},
        {"id": 2, "question": "What's the best pizza topping?"},
        {"id": "c", "question": "小红书是什么？"},
        {"id": "d", "question": "how many days until the tiktok ban", "now": "2025-06-01T10:00:00Z"},
    ]
    result = _banbot("ask", "--jsonl", stdin="\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", 2, "c", "d"]
    keys = {"id", "answered", "answer", "entry", "confidence", "sources", "lang", "suggestions"}
    assert all(set(o) == keys for o in out)
    assert out[0]["answered"] and out[0]["answer"].startswith("3 days until")
    assert all(url.startswith("http") for url in out[0]["sources"])
    assert out[1]["answered"] is False and out[1]["entry"] is None and out[1]["suggestions"]
    assert out[2]["lang"] == "zh" and "小红书" in out[2]["answer"]
    assert "since" in out[3]["answer"].split("\n")[0]
    assert all(0.0 <= o["confidence"] <= 1.0 for o in out)


def test_ask_jsonl_survives_bad_lines() -> None:
    result = _banbot(
        "ask",
        "--jsonl",
        stdin='not json\n[1,2]\n{"id": 9}\n{"id": 10, "question": "hi", "now": "yesterday"}\n',
    )
    assert result.returncode == 0
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o.get("id") for o in out] == [None, None, 9, 10]
    assert "error" in out[0] and "error" in out[1]
    assert out[2]["answered"] is False


def test_ask_text_prints_answer_with_sources() -> None:
    result = _banbot("ask", "Did", "the", "Supreme", "Court", "uphold", "the", "TikTok", "law?")
    assert result.returncode == 0, result.stderr
    assert "Sources:" in result.stdout and "http" in result.stdout
