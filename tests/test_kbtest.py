"""`banbot kb test FILE.jsonl`: per-category accuracy, confusions with the top candidates, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.__main__ import main
from tests.core.conftest import SAMPLE_ENTRIES, write_kb


@pytest.fixture
def kb_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_kb(tmp_path / "kb", SAMPLE_ENTRIES)
    monkeypatch.setenv("BANBOT_KNOWLEDGE_DIR", str(tmp_path / "kb"))
    monkeypatch.setenv("BANBOT_SEMANTIC", "off")
    return tmp_path


def write_set(path: Path, items: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in items) + "\n", encoding="utf-8")
    return path


GOOD = {"id": "g1", "question": "What is RedNote?", "category": "rednote", "expect": {"answered": True}}
WRONG = {
    "id": "w1",
    "question": "Did the Supreme Court uphold the TikTok law?",
    "category": "court",
    "expect": {"answered": True, "must": ["December 6"]},
}
DECLINE = {"id": "d1", "question": "best pizza topping", "category": "off-topic", "expect": {"answered": False}}


def test_per_category_accuracy_and_confusions(kb_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    questions = write_set(kb_env / "set.jsonl", [GOOD, WRONG, DECLINE])
    assert main(["kb", "test", str(questions)]) == 0
    out = capsys.readouterr().out
    assert "WRONG w1 'Did the Supreme Court uphold the TikTok law?': missing /December 6/" in out
    assert "expected answer, chose court-ruling; top: court-ruling" in out
    assert "court" in out and "0/1" in out and "rednote" in out and "1/1" in out
    assert (
        "set.jsonl: 2/3 = 66.7% right, 0.0% clarify, 33.3% wrong, 0.0% false decline; "
        "decline precision 100.0%, must-decline recall 100.0%"
    ) in out


def test_min_sets_the_exit_status(kb_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    passing = write_set(kb_env / "pass.jsonl", [GOOD, DECLINE])
    failing = write_set(kb_env / "fail.jsonl", [GOOD, WRONG])
    assert main(["kb", "test", str(passing), "--min", "0.9", "--quiet"]) == 0
    assert main(["kb", "test", str(failing), "--min", "0.9", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "WRONG" not in out  # --quiet: the table only
    assert "fail.jsonl scored 50.0%, below --min 90.0%" in out


def test_an_unreadable_set_is_one_line_and_exit_2(kb_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = kb_env / "bad.jsonl"
    bad.write_text('{"id": 1, "question": "no expect"}\n')
    assert main(["kb", "test", str(bad)]) == 2
    assert "kb test: cannot read" in capsys.readouterr().out
    assert main(["kb", "test", str(kb_env / "missing.jsonl")]) == 2


def test_an_expected_entry_is_checked(kb_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    item = {**GOOD, "expect": {"answered": True, "entry": "court-ruling"}}
    assert main(["kb", "test", str(write_set(kb_env / "e.jsonl", [item])), "--min", "1"]) == 1
    assert "answered from rednote-what, expected court-ruling" in capsys.readouterr().out
