"""A larger knowledge base for `banbot bench --scale N`: the real knowledge plus N-1 perturbed copies of every
entry, written to a directory of its own (a temporary one; never `knowledge/`).

Each copy has new ids and its own texts: in its alternate questions, keywords, title, short answer and answer,
words are shuffled, dropped or replaced by other words of the knowledge, Chinese characters likewise, and
numbers are changed. So the copies are distinct texts the encoder must embed, the lexical index holds N times
the entries and the exact-match lookup N times the questions. The perturbation is deterministic: the same
knowledge, scale and seed give byte-identical files.
"""

from __future__ import annotations

import copy
import random
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.schema import ID_PATTERN, SHORT_ANSWER_MAX, ShortAnswer
from bot.types import CJK, CJK_CHARS

DEFAULT_SEED = 20261126
COPY_PREFIX = "zz-scaled-"
"""Copies are written to entries/zz-scaled-<copy>-<file>.yaml: they load after every original file, so the
originals keep their place (and their exact questions) in the scaled knowledge."""

_TOKEN = re.compile(rf"\d+|[A-Za-z][A-Za-z'’]*|[{CJK_CHARS}]|\s+|.", re.S)
_EN_WORD = re.compile(r"[A-Za-z]{3,}")
_KEY = re.compile(r"[\W_]+")
_ID = re.compile(ID_PATTERN)
_NEVER_INSERTED = frozenset({"yes", "no", "not"})
"""Words never put into a copy: a short answer must not open with Yes/No."""


@dataclass(frozen=True)
class Rates:
    """Per-token chances of each change, and how many adjacent swaps per token."""

    replace: float
    drop: float
    swap: float
    number: float = 0.8


QUESTION_RATES = Rates(replace=0.25, drop=0.1, swap=0.2)
"""Questions, titles and keywords: changed enough that no copy question is (near) the original."""
ANSWER_RATES = Rates(replace=0.15, drop=0.05, swap=0.1)


@dataclass(frozen=True)
class Vocabulary:
    """The words and Chinese characters a copy's replacements are drawn from: the knowledge's own."""

    words: tuple[str, ...]
    chars: tuple[str, ...]

    @classmethod
    def of(cls, entries: Iterable[dict[str, Any]]) -> Vocabulary:
        words: set[str] = set()
        chars: set[str] = set()
        for entry in entries:
            for text in _texts(entry):
                words.update(w.lower() for w in _EN_WORD.findall(text))
                chars.update(CJK.findall(text))
        return cls(tuple(sorted(words - _NEVER_INSERTED)), tuple(sorted(chars)))


def _texts(entry: dict[str, Any]) -> Iterable[str]:
    for name in ("questions", "keywords"):
        for lang in ("en", "zh"):
            yield from (str(t) for t in (entry.get(name) or {}).get(lang) or [])
    for name in ("title", "short", "answer"):
        for lang in ("en", "zh"):
            yield str((entry.get(name) or {}).get(lang) or "")


def _new_number(digits: str, rng: random.Random) -> str:
    first = rng.choice("123456789") if digits[0] != "0" or len(digits) == 1 else "0"
    return first + "".join(rng.choice("0123456789") for _ in digits[1:])


def perturb_text(text: str, rng: random.Random, vocab: Vocabulary, rates: Rates, keep_first: bool = False) -> str:
    """`text` with words and Chinese characters replaced, dropped or swapped and numbers changed; never the
    same text. `keep_first` leaves the first word alone (a short answer must not start with Yes/No)."""
    tokens = _TOKEN.findall(text)
    content = [i for i, t in enumerate(tokens) if not t.isspace() and (t[0].isalnum() or CJK.match(t))]
    protected = content[0] if keep_first and content else -1
    for i in content:
        token = tokens[i]
        if i == protected:
            continue
        if token.isdigit():
            if rng.random() < rates.number:
                tokens[i] = _new_number(token, rng)
            continue
        roll = rng.random()
        cjk = bool(CJK.match(token))
        if roll < rates.drop and len(content) > 2:
            tokens[i] = ""
        elif roll < rates.drop + rates.replace:
            tokens[i] = rng.choice(vocab.chars) if cjk else _like(token, rng.choice(vocab.words))
    movable = [i for i in content if tokens[i] and i != protected]
    for _ in range(round(len(movable) * rates.swap)):
        if len(movable) < 2:
            break
        n = rng.randrange(len(movable) - 1)
        a, b = movable[n], movable[n + 1]
        tokens[a], tokens[b] = tokens[b], tokens[a]
    out = re.sub(r"[ \t]{2,}", " ", "".join(tokens)).strip()
    if out == text.strip() or not out:  # nothing happened to change (a one-word keyword, say): add a word
        out = f"{text.strip()} {rng.choice(vocab.chars) if CJK.search(text) else rng.choice(vocab.words)}"
    return out


def _like(original: str, word: str) -> str:
    """`word` capitalised like `original`."""
    if original.isupper() and len(original) > 1:
        return word.upper()
    return word.capitalize() if original[:1].isupper() else word


def _key(question: str) -> str:
    """Stricter than both the loader's duplicate check and the ranker's exact-match form: texts distinct
    under this key are distinct under both."""
    return _KEY.sub(" ", question.casefold()).strip()


class _Perturber:
    def __init__(self, originals: list[dict[str, Any]], seed: int) -> None:
        self.vocab = Vocabulary.of(originals)
        self.seed = seed
        self.ids = {str(e["id"]) for e in originals}
        self.questions = {_key(str(q)) for e in originals for lang in ("en", "zh") for q in e["questions"][lang]}

    def copy_id(self, entry_id: str, copy_no: int) -> str:
        suffix = f"-x{copy_no}"
        new = entry_id[: 63 - len(suffix)].rstrip("-") + suffix
        n = 0
        while new in self.ids or not _ID.match(new):  # only when a long id was cut short
            n += 1
            new = f"{entry_id[: 63 - len(suffix) - 6].rstrip('-')}-{n:04d}{suffix}"
        self.ids.add(new)
        return new

    def entry(self, raw: dict[str, Any], copy_no: int, ids: dict[str, str]) -> dict[str, Any]:
        rng = random.Random(f"{self.seed}:{copy_no}:{raw['id']}")
        out = copy.deepcopy(raw)
        out["id"] = ids[str(raw["id"])]
        vocab = self.vocab
        for lang in ("en", "zh"):
            out["questions"][lang] = [self._question(str(q), rng) for q in raw["questions"][lang]]
            out["title"][lang] = perturb_text(str(raw["title"][lang]), rng, vocab, QUESTION_RATES)
            out["answer"][lang] = self._ensure_cjk(
                lang, perturb_text(str(raw["answer"][lang]), rng, vocab, ANSWER_RATES), rng
            )
            if raw.get("keywords") and raw["keywords"].get(lang):
                keywords = [perturb_text(str(k), rng, vocab, QUESTION_RATES) for k in raw["keywords"][lang]]
                rng.shuffle(keywords)
                out["keywords"][lang] = keywords
            if raw.get("short"):
                out["short"][lang] = self._short(lang, str(raw["short"][lang]), rng)
        out["title"]["zh"] = self._ensure_cjk("zh", out["title"]["zh"], rng)
        out["related"] = [ids.get(str(r), str(r)) for r in raw.get("related") or []]
        return out

    def _question(self, question: str, rng: random.Random) -> str:
        lang_zh = bool(CJK.search(question))
        for _ in range(20):
            new = perturb_text(question, rng, self.vocab, QUESTION_RATES)
            if lang_zh:
                new = self._ensure_cjk("zh", new, rng)
            if _key(new) and _key(new) not in self.questions:
                self.questions.add(_key(new))
                return new
        n = 2
        while _key(f"{question} {n}") in self.questions:
            n += 1
        self.questions.add(_key(f"{question} {n}"))
        return f"{question} {n}"

    def _ensure_cjk(self, lang: str, text: str, rng: random.Random) -> str:
        return text if lang != "zh" or CJK.search(text) else f"{text}{rng.choice(self.vocab.chars)}"

    def _short(self, lang: str, short: str, rng: random.Random) -> str:
        """A perturbed short answer that still passes the schema (length, no leading Yes/No)."""
        for _ in range(20):
            new = self._ensure_cjk(lang, perturb_text(short, rng, self.vocab, ANSWER_RATES, keep_first=True), rng)
            new = new[:SHORT_ANSWER_MAX].strip()
            if _valid_short(lang, new):
                return new
        return short


def _valid_short(lang: str, text: str) -> bool:
    other = "这是一个简短的回答。" if lang == "en" else "A short answer."
    try:
        ShortAnswer.model_validate({"en": text, "zh": other} if lang == "en" else {"en": other, "zh": text})
    except ValueError:
        return False
    return True


def scaled_entry_files(knowledge_dir: Path, scale: int, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """The extra entry files of the scaled knowledge, by file name (under entries/): `scale - 1` copies of
    each entry file, entries perturbed. The originals are read as they are, not validated (the loader does
    that when the scaled knowledge is loaded)."""
    if scale < 1:
        raise ValueError(f"scale must be at least 1, not {scale}")
    files = {path.stem: _load_yaml(path) for path in sorted((knowledge_dir / "entries").glob("*.yaml"))}
    originals = [e for data in files.values() for e in (data or {}).get("entries") or []]
    perturber = _Perturber(originals, seed)
    out: dict[str, Any] = {}
    for copy_no in range(1, scale):
        ids = {str(e["id"]): perturber.copy_id(str(e["id"]), copy_no) for e in originals}
        for stem, data in files.items():
            entries = [perturber.entry(e, copy_no, ids) for e in (data or {}).get("entries") or []]
            out[f"{COPY_PREFIX}{copy_no:03d}-{stem}.yaml"] = {"entries": entries}
    return out


def write_scaled_knowledge(knowledge_dir: Path, dest: Path, scale: int, seed: int = DEFAULT_SEED) -> Path:
    """Copy the knowledge at `knowledge_dir` to `dest` (which must not exist) and add the perturbed copies of
    its entries; returns `dest`, ready for `load_knowledge`."""
    if dest.resolve() == knowledge_dir.resolve() or knowledge_dir.resolve() in dest.resolve().parents:
        raise ValueError(f"the scaled knowledge must be written outside {knowledge_dir}")
    extra = scaled_entry_files(knowledge_dir, scale, seed)
    shutil.copytree(knowledge_dir, dest)
    for name, data in extra.items():
        (dest / "entries" / name).write_text(_dump_yaml(data), encoding="utf-8")
    return dest


_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _load_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - a safe loader


def _dump_yaml(data: Any) -> str:
    return str(yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120))
