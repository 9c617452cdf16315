"""The encoder and vector caches in BANBOT_CACHE_DIR run no code, stay private, and replace what is not theirs.

A pickle planted under a cache file's name once ran as the bot's user at the next `banbot ask`; a payload
raising SystemExit even escaped the error handling. The module fixture builds the real encoder once, with
such payloads planted under the old and the new file names.
"""

from __future__ import annotations

import logging
import os
import pickle
import shutil
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot import encoder_cache
from bot.embedding import DiskVectorCache, UseEncoder
from bot.encoder_cache import EncoderCache


class Payload:
    """Unpickling this calls `call(*args)`: what an attacker plants."""

    def __init__(self, call: Callable[..., Any], *args: Any) -> None:
        self.call, self.args = call, args

    def __reduce__(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        return self.call, self.args


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def warnings(self) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno >= logging.WARNING]


@dataclass
class Built:
    directory: Path
    encoder: UseEncoder
    marker: Path
    legacy: Path
    warnings: list[str]

    @property
    def cache(self) -> EncoderCache:
        return EncoderCache(self.directory, self.encoder.name)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("encoder")
    directory, marker = root / "cache", root / "payload-ran"
    directory.mkdir(mode=0o755)
    encoder = UseEncoder(directory)
    legacy = directory / f"model-{encoder.name}.pickle"  # what earlier versions read with pickle.load
    legacy.write_bytes(pickle.dumps(Payload(os.system, f"touch {marker}")))
    EncoderCache(directory, encoder.name).path.write_bytes(pickle.dumps(Payload(sys.exit, 3)))
    handler = Records()
    logging.getLogger("bot").addHandler(handler)
    try:
        encoder.load()
    finally:
        logging.getLogger("bot").removeHandler(handler)
    return Built(directory, encoder, marker, legacy, handler.warnings())


def test_planted_pickles_run_nothing_and_are_replaced_with_one_warning(built: Built) -> None:
    assert not built.marker.exists()  # no shell command ran, and SystemExit was never raised
    assert not built.legacy.exists()  # the old pickle is deleted unread
    [warning] = built.warnings
    assert warning.startswith(f"encoder cache {built.cache.path} unusable (") and warning.endswith("): rebuilding it")
    assert "(not an .npz archive)" in warning
    assert built.encoder.encode(["小红书是什么"]).shape == (1, 512)


def test_the_cache_is_private_and_read_back_without_building(
    built: Built, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    assert mode(built.directory) == 0o700
    assert {p.name: mode(p) for p in built.directory.iterdir()} == {
        built.cache.path.name: 0o600,
        built.cache.weights.name: 0o600,
    }
    with np.load(built.cache.path, allow_pickle=False) as data:  # plain arrays and a JSON string, no objects
        assert all(data[key].dtype != object for key in data.files)

    def no_build() -> None:
        raise AssertionError("the encoder was built again")

    monkeypatch.setattr("bot.embedding.build_model", no_build)
    again = UseEncoder(built.directory)
    texts = ["Is TikTok banned?", "小红书是什么", "when did the law pass"]
    assert np.allclose(again.encode(texts), built.encoder.encode(texts), atol=1e-6)
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_a_cache_whose_model_misses_its_probe_is_not_used(
    built: Built, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    directory = tmp_path / "cache"
    shutil.copytree(built.directory, directory)
    cache = EncoderCache(directory, built.encoder.name)
    with np.load(cache.path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    arrays["probe"] = -arrays["probe"]
    np.savez(cache.path, allow_pickle=False, **arrays)
    assert cache.load() is None
    [warning] = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warning.endswith("(its model does not reproduce the probe vector): rebuilding it")


def _foreign_npz(path: Path) -> None:
    meta = np.array('{"format": 1, "encoder": "someone-else"}')
    np.savez(path, meta=meta)


def _other_format(path: Path) -> None:
    np.savez(path, meta=np.array('{"format": 0, "encoder": "use-test"}'))


def _object_array(path: Path) -> None:
    np.savez(path, meta=np.array([Payload(sys.exit, 4)], dtype=object))


@pytest.mark.parametrize(
    ("plant", "reason"),
    [
        (lambda p: p.write_bytes(pickle.dumps(Payload(sys.exit, 3))), "not an .npz archive"),
        (lambda p: p.write_bytes(b"PK\x03\x04 torn"), ""),
        (_foreign_npz, "written for 'someone-else'"),
        (_other_format, "format 0"),
        (_object_array, "Object arrays cannot be loaded"),
    ],
    ids=["system-exit-pickle", "torn", "other-encoder", "other-format", "object-array"],
)
def test_an_unusable_file_runs_nothing_and_is_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, plant: Callable[[Path], None], reason: str
) -> None:
    cache = EncoderCache(tmp_path, "use-test")
    plant(cache.path)
    cache.path.chmod(0o600)
    cache.weights.write_bytes(b"")
    cache.weights.chmod(0o600)
    assert cache.load() is None
    [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert warning.name == encoder_cache.__name__ and reason in warning.getMessage()
    assert "\n" not in warning.getMessage() and warning.exc_info is None


def test_a_file_others_may_write_is_not_trusted(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache = EncoderCache(tmp_path, "use-test")
    _other_format(cache.path)
    cache.weights.write_bytes(b"")
    cache.path.chmod(0o666)
    assert cache.load() is None
    assert "writable by others (mode 666)" in caplog.records[-1].getMessage()


def test_vectors_are_written_privately_and_a_file_others_may_write_is_embedded_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = DiskVectorCache(tmp_path / "cache")
    cache.save("enc", {"k": np.ones(4, dtype=np.float32)})
    [path] = (tmp_path / "cache").iterdir()
    assert mode(path) == 0o600 and mode(tmp_path / "cache") == 0o700
    assert list(cache.load("enc")) == ["k"]
    path.chmod(0o664)
    assert cache.load("enc") == {}
    assert "writable by others" in caplog.records[-1].getMessage()
