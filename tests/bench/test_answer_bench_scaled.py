"""`banbot bench --scale N`: the perturbed copies of the knowledge, and a smoke run of the whole command at
scale 2 with the lexical engine (the real numbers come from the CLI, not from tests)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from bot.__main__ import main
from bot.bench import answers
from bot.bench.scaled import COPY_PREFIX, scaled_entry_files, write_scaled_knowledge
from bot.knowledge.loader import KnowledgeBase, load_knowledge
from bot.settings import PROJECT_ROOT

KNOWLEDGE = PROJECT_ROOT / "knowledge"


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text.casefold()).strip()


@pytest.fixture(scope="module")
def original() -> KnowledgeBase:
    return load_knowledge(KNOWLEDGE)


def test_perturbation_is_deterministic_and_seeded() -> None:
    first = scaled_entry_files(KNOWLEDGE, 2)
    assert first == scaled_entry_files(KNOWLEDGE, 2)
    assert all(name.startswith(COPY_PREFIX) for name in first)
    other_seed = scaled_entry_files(KNOWLEDGE, 2, seed=7)
    assert other_seed.keys() == first.keys() and other_seed != first
    assert scaled_entry_files(KNOWLEDGE, 1) == {}


def test_scaled_knowledge_loads_with_n_times_the_entries(tmp_path: Path, original: KnowledgeBase) -> None:
    before = {p.name: p.read_bytes() for p in KNOWLEDGE.rglob("*") if p.is_file()}
    root = write_scaled_knowledge(KNOWLEDGE, tmp_path / "scaled", 3)
    again = write_scaled_knowledge(KNOWLEDGE, tmp_path / "again", 3)
    assert {p.name: p.read_bytes() for p in KNOWLEDGE.rglob("*") if p.is_file()} == before  # untouched
    copies = sorted((root / "entries").glob(f"{COPY_PREFIX}*.yaml"))
    assert [p.read_bytes() for p in copies] == [(again / "entries" / p.name).read_bytes() for p in copies]

    raw_ids = [e["id"] for p in copies for e in yaml.safe_load(p.read_text(encoding="utf-8"))["entries"]]
    assert len(raw_ids) == len(set(raw_ids)) == 2 * len(original.entries)
    scaled = load_knowledge(root)  # the real loader: schema, duplicate ids and questions, references
    assert len(scaled.entries) == 3 * len(original.entries)
    assert list(scaled.entries)[: len(original.entries)] == list(original.entries)  # the originals first
    assert all(scaled.entries[i] == e for i, e in original.entries.items())

    original_questions = {_key(q) for e in original.entries.values() for q in (*e.questions.en, *e.questions.zh)}
    copy_questions = [
        _key(q) for i in raw_ids for q in (*scaled.entries[i].questions.en, *scaled.entries[i].questions.zh)
    ]
    assert len(copy_questions) == len(set(copy_questions)) == 2 * len(original_questions)
    assert not original_questions & set(copy_questions)
    for entry_id, entry in original.entries.items():
        for n in (1, 2):
            copy = scaled.entries[f"{entry_id}-x{n}"]
            assert copy.topic == entry.topic and copy.sources == entry.sources
            assert copy.title != entry.title and copy.answer != entry.answer
            assert (copy.short is None) == (entry.short is None)
            assert copy.short != entry.short or entry.short is None
            assert copy.keywords != entry.keywords or not (entry.keywords.en or entry.keywords.zh)
            assert copy.related == [f"{r}-x{n}" for r in entry.related]


def test_scaled_knowledge_is_never_written_into_the_knowledge(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="outside"):
        write_scaled_knowledge(KNOWLEDGE, KNOWLEDGE / "scaled", 2)
    assert not (KNOWLEDGE / "scaled").exists()


def test_bench_scale_2_end_to_end_lexical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BANBOT_SEMANTIC", "off")
    monkeypatch.setattr(answers, "SCALED_COLD_RUNS", 1)
    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        "\n".join(json.dumps({"question": q}) for q in ["is tiktok banned now", "小红书是什么？"]), encoding="utf-8"
    )
    assert main(["bench", "--scale", "2", "--rounds", "1", "--questions", str(questions)]) == 0
    report = capsys.readouterr().out
    entries = len(load_knowledge(KNOWLEDGE).entries)
    assert "engine: lexical only" in report
    assert f"knowledge at scale 2: {2 * entries:,} entries ({entries:,} original, 1 perturbed copies" in report
    assert "answers: 7 timed (7 questions x 1 rounds)" in report  # two questions and five hostile inputs
    assert "p99" in report and "cold `banbot ask`" in report and "one `banbot ask` process, peak resident" in report
    assert "vector cache" not in report  # nothing to embed lexically


def test_scale_is_only_for_the_answer_bench(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "limiter", "--scale", "2"]) == 2
    assert "--scale" in capsys.readouterr().err
