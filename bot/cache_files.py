"""Files under BANBOT_CACHE_DIR: a private directory (0700), files written whole (0600, then renamed into
place, so a reader never sees half a file) and trusted only when they are the bot's own.

Nothing read from here can run code (numpy arrays with allow_pickle=False, JSON), but a file another user
planted could still feed the bot wrong vectors: such a file is treated as unusable and replaced.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


class ForeignFileError(ValueError):
    """A cache file the bot did not write: owned by another user, or writable by others."""


def private_dir(directory: Path) -> None:
    """Create the directory (and its parents) if needed; make it readable by its owner only."""
    directory.mkdir(parents=True, exist_ok=True, mode=DIRECTORY_MODE)
    os.chmod(directory, DIRECTORY_MODE)


def write_private(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write `path` through `write` into a new 0600 file beside it, then rename it over `path` (atomic)."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, FILE_MODE), "wb") as f:
            os.fchmod(f.fileno(), FILE_MODE)  # the mode given to open does not apply to a leftover file
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def check_own(path: Path) -> None:
    """Raise ForeignFileError unless this process's user owns `path` and no one else may write to it."""
    status = path.stat()
    if status.st_uid != os.getuid():
        raise ForeignFileError(f"owned by uid {status.st_uid}, not {os.getuid()}")
    if status.st_mode & 0o022:
        raise ForeignFileError(f"writable by others (mode {status.st_mode & 0o777:o})")
