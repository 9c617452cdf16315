from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.errors import KnowledgeError
from bot.knowledge.check import kb_check, kind_warnings
from bot.knowledge.loader import MAX_FILE_BYTES, load_knowledge
from bot.settings import PROJECT_ROOT
from tests.core.conftest import SAMPLE_ENTRIES, entry, write_kb


def test_shipped_knowledge_passes_kb_check() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "kb", "check"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "kb check: ok" in result.stdout


def test_shipped_knowledge_is_broad_and_bilingual() -> None:
    kb = load_knowledge(PROJECT_ROOT / "knowledge")
    assert len(kb.entries) >= 50
    for e in kb.entries.values():
        assert e.answer.en and e.answer.zh and e.questions.en and e.questions.zh and e.sources


def test_every_problem_is_reported_with_file_and_field(tmp_path: Path) -> None:
    bad = [
        {**entry("good-one", ["q"], ["问题"], "a", "答案")},
        {**entry("bad-one", ["q"], ["问题"], "a", "答案"), "colour": "red"},  # unknown field
        {**entry("no-zh", ["q"], ["问题"], "a", "english only"), "sources": ["missing-source"]},
    ]
    write_kb(tmp_path, bad)
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(tmp_path)
    text = "\n".join(map(str, err.value.problems))
    assert "entries/e.yaml: entries[1](id=bad-one).colour: Extra inputs are not permitted" in text
    assert "entries/e.yaml: entries[2](id=no-zh).answer.zh: Value error, Chinese text must contain" in text
    assert len(err.value.problems) == 2  # the invalid file stops cross-checks of its entries, not other files


def test_cross_references_are_checked(tmp_path: Path) -> None:
    entries = [{**entry("a-entry", ["q"], ["问题"], "a", "答案"), "related": ["nope"], "sources": ["nope-src"]}]
    write_kb(tmp_path, entries)
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(tmp_path)
    fields = {p.field for p in err.value.problems}
    assert fields == {"entries(id=a-entry).related", "entries(id=a-entry).sources"}


def test_deadline_needs_utc_offset_and_yaml_errors_name_the_file(tmp_path: Path) -> None:
    write_kb(tmp_path, SAMPLE_ENTRIES)
    data = yaml.safe_load((tmp_path / "deadlines.yaml").read_text())
    data["deadlines"][0]["at"] = "2025-01-19T00:00:00"
    (tmp_path / "deadlines.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    (tmp_path / "synonyms.yaml").write_text("synonyms: [unclosed")
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(tmp_path)
    by_file = {p.file: p for p in err.value.problems}
    assert "UTC offset" in by_file["deadlines.yaml"].message
    assert by_file["deadlines.yaml"].field == "deadlines[0](id=law-effective).at"
    assert by_file["synonyms.yaml"].message.startswith("cannot read")


def test_kb_check_cli_lists_problems_and_fails(tmp_path: Path) -> None:
    write_kb(tmp_path, [{**entry("x-entry", ["q"], ["问题"], "a", "答案"), "sources": []}])
    result = subprocess.run(
        [sys.executable, "-m", "bot", "kb", "check"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={"BANBOT_KNOWLEDGE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 1
    assert "entries/e.yaml: entries[0](id=x-entry).sources:" in result.stderr


def test_version_changes_with_content(tmp_path: Path) -> None:
    write_kb(tmp_path, SAMPLE_ENTRIES)
    first = load_knowledge(tmp_path).version
    write_kb(tmp_path, SAMPLE_ENTRIES[:2])
    assert load_knowledge(tmp_path).version != first


def test_a_question_may_belong_to_one_entry_only(tmp_path: Path) -> None:
    entries = [
        entry("first-one", ["Who owns TikTok now?"], ["问题一"], "a", "答案"),
        entry("second-one", ["who owns tiktok now"], ["问题二"], "b", "答案"),
    ]
    write_kb(tmp_path, entries)
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(tmp_path)
    (problem,) = err.value.problems
    assert problem.field == "entries(id=second-one).questions"
    assert "also a question of entry first-one" in problem.message


def test_a_url_is_listed_once(tmp_path: Path) -> None:
    write_kb(tmp_path, SAMPLE_ENTRIES)
    extra = {"sources": [{"id": "src-b", "title": "B", "publisher": "Pub B", "url": "https://a.example/x"}]}
    (tmp_path / "sources" / "t.yaml").write_text(yaml.safe_dump(extra))
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(tmp_path)
    (problem,) = err.value.problems
    assert (problem.file, problem.field) == ("sources/t.yaml", "sources(id=src-b).url")
    assert "same URL as source src-a" in problem.message


def test_a_file_over_the_size_limit_is_one_problem(tmp_path: Path) -> None:
    write_kb(tmp_path, SAMPLE_ENTRIES)
    big = tmp_path / "entries" / "big.yaml"
    big.write_text("entries:\n" + "  - {id: x, colour: red}\n" * (MAX_FILE_BYTES // 20))
    assert big.stat().st_size > MAX_FILE_BYTES
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(tmp_path)
    (problem,) = err.value.problems
    assert (problem.file, problem.field) == ("entries/big.yaml", "(file)")
    assert problem.message == "larger than 2 MB: split it into several files"


def test_a_long_id_is_shortened_in_the_field_path(tmp_path: Path) -> None:
    write_kb(
        tmp_path,
        [{**entry("x" * 10_000, ["q"], ["问题"], "a", "答案", short={"en": "a", "zh": "答"}), "colour": "red"}],
    )
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(tmp_path)
    fields = [problem.field for problem in err.value.problems]
    assert fields == ["entries[0](id=" + "x" * 60 + f"…).{name}" for name in ("id", "colour")]


def test_kb_check_warns_about_weak_sources_and_malformed_hosts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_kb(tmp_path, SAMPLE_ENTRIES)
    data = yaml.safe_load((tmp_path / "sources" / "s.yaml").read_text())
    data["sources"][0].update(tier="mirror", via="copies.example", url="https://copies.example./story")
    (tmp_path / "sources" / "s.yaml").write_text(yaml.safe_dump(data))
    assert kb_check(tmp_path, dt.date(2026, 11, 26)) == 0
    err = capsys.readouterr().err
    assert "entry court-ruling is backed only by mirrors" in err
    assert "source src-a: malformed host 'copies.example.'" in err


def test_kb_check_requires_short_answers_and_checked_dates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    entries = [{k: v for k, v in e.items() if k not in ("short", "checked")} for e in SAMPLE_ENTRIES]
    write_kb(tmp_path, entries)
    assert kb_check(tmp_path, dt.date(2026, 11, 26)) == 1
    err = capsys.readouterr().err
    assert "error: entry court-ruling: no short answer" in err and "no checked date" in err


def test_kb_check_warns_about_an_entry_without_answer_kinds() -> None:
    kb = load_knowledge(PROJECT_ROOT / "knowledge")
    assert kind_warnings(kb) == []  # every shipped entry declares its kinds
    first = next(iter(kb.entries.values()))
    stripped = dataclasses.replace(kb, entries={first.id: first.model_copy(update={"answers": []})})
    assert kind_warnings(stripped) == [f"entry {first.id}: no answer kinds (answers: date, reason, person ...)"]


def test_kb_check_prints_a_warning_for_an_entry_without_answer_kinds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_kb(
        tmp_path,
        [{k: v for k, v in e.items() if k != "answers"} if i == 0 else e for i, e in enumerate(SAMPLE_ENTRIES)],
    )
    assert kb_check(tmp_path, dt.date(2026, 12, 6)) == 0
    first = SAMPLE_ENTRIES[0]["id"]
    assert f"warning: entry {first}: no answer kinds (answers: date, reason, person ...)" in capsys.readouterr().err
