"""The `banbot ask` contract (DESIGN.md §3) through the real console script entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

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
    keys = {"id", "answered", "outcome", "answer", "entry", "confidence", "sources", "lang", "suggestions"}
    assert all(set(o) == keys for o in out)
    assert out[0]["answered"] and out[0]["answer"].startswith("3 days until")
    assert all(url.startswith("http") for url in out[0]["sources"])
    assert out[1]["answered"] is False and out[1]["entry"] is None and out[1]["suggestions"]
    assert out[2]["lang"] == "zh" and "小红书" in out[2]["answer"]
    assert "since" in out[3]["answer"].split("\n")[0]
    assert all(0.0 <= o["confidence"] <= 1.0 for o in out)


def _reject_constant(name: str) -> None:
    raise AssertionError(f"{name} is not valid JSON")


def _strict_json(line: bytes) -> dict[str, Any]:
    """A line as a strict JSON parser (RFC 8259, UTF-8) reads it: no NaN, no lone surrogates."""
    value = json.loads(line.decode("utf-8"), parse_constant=_reject_constant)
    json.dumps(value, ensure_ascii=False).encode("utf-8")  # raises on a lone surrogate escape
    assert isinstance(value, dict)
    return value


GOOD = b'{"id": "%s", "question": "What is RedNote?", "now": "2025-06-01T10:00:00Z"}'
BAD_LINES: list[tuple[bytes, object, str]] = [
    # (line, id echoed, part of the error)
    (b'{"id": "low", "question": "days until the ban?", "now": "0001-01-01T00:00:00+05:00"}', "low", "out of range"),
    (b'{"id": "high", "question": "days until the ban?", "now": "9999-12-31T23:59:59-05:00"}', "high", "out of range"),
    (b'{"id": "word", "question": "What is RedNote?", "now": "yesterday"}', "word", "bad now"),
    (b'{"id": "num", "question": "What is RedNote?", "now": 1736500000}', "num", "bad now"),
    (b'{"id": "deep", "question": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", None, "nested too deeply"),
    (b'{"id": ' + b"9" * 5000 + b', "question": "What is RedNote?"}', None, "too many digits"),
    (b'{"id": "sur", "question": "What is \\udc00RedNote?"}', "sur", "lone surrogate"),
    (b'{"id": "\\ud800x", "question": "What is RedNote?"}', "\ufffdx", "lone surrogate"),
    (b'{"id": "utf", "question": "What is \xffRedNote?"}', "utf", "not valid UTF-8"),
    (b"\xc3\x28 not even json", None, "not valid UTF-8"),
    (b"[1, 2]", None, "expected a JSON object"),
    (b'"just a string"', None, "expected a JSON object"),
    (b"not json", None, "not JSON"),
    (b'{"id": "noq"}', "noq", "missing question"),
    (b'{"id": "numq", "question": 42}', "numq", "missing question"),
    (b'{"id": ["a"], "question": "What is RedNote?"}', None, "id must be a string or a number"),
    (b"", None, "blank line: expected a JSON object"),
    (b" \t\r", None, "blank line: expected a JSON object"),
]


def test_ask_jsonl_one_valid_line_out_per_line_in_whatever_the_input() -> None:
    special_ids = [b'{"id": NaN, "question": "What is RedNote?"}', b'{"id": -Infinity, "question": "What is RedNote?"}']
    special_ids.append(b'{"id": 1e999, "question": "What is RedNote?"}')
    stream = [GOOD % b"first"]
    for i, (line, _, _) in enumerate(BAD_LINES):
        stream += [line, GOOD % str(i).encode()]
    stream += [*special_ids, GOOD % b"last"]
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--jsonl"],
        input=b"\n".join(stream) + b"\n",
        capture_output=True,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    out = [_strict_json(line) for line in result.stdout.splitlines()]
    assert len(out) == len(stream)  # blank lines too: output line n answers input line n
    assert out[0]["id"] == "first" and out[-1]["id"] == "last"
    keys = {"id", "answered", "outcome", "answer", "entry", "confidence", "sources", "lang", "suggestions"}
    for i, (_, item_id, error) in enumerate(BAD_LINES):
        bad, good = out[1 + 2 * i], out[2 + 2 * i]
        assert set(bad) == keys | {"error"} and error in bad["error"], bad
        assert bad["id"] == item_id and bad["answered"] is False and bad["answer"] == "" and bad["sources"] == []
        assert set(good) == keys and good["id"] == str(i) and good["answered"] is True
    assert [o["id"] for o in out[-4:-1]] == ["NaN", "-Infinity", "Infinity"]
    assert all(o["answered"] and "error" not in o for o in out[-4:])


def test_ask_text_with_a_bad_now_is_an_error() -> None:
    result = _banbot("ask", "--now", "yesterday", "What is RedNote?")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "banbot ask: --now: bad now “yesterday”: expected an ISO-8601 time such as 2025-01-10T12:00:00Z"
    )


def test_ask_text_prints_answer_with_sources() -> None:
    result = _banbot("ask", "Did", "the", "Supreme", "Court", "uphold", "the", "TikTok", "law?")
    assert result.returncode == 0, result.stderr
    assert "Sources:" in result.stdout and "http" in result.stdout
