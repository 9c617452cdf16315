"""scripts/setup.sh refuses a Python older than 3.11 with a clear message and rebuilds a .venv an older Python
made, instead of failing on every run. Stand-in interpreters (shell scripts) replace Python and pip: no
network, no real install."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

from bot.settings import PROJECT_ROOT

STAND_IN = """#!/usr/bin/env bash
# A stand-in for Python {version}: the version check, `-m venv DIR` (a venv of stand-ins), anything else logged.
case "$1" in
  -c) exit {old} ;;  # setup.sh's check: exits 1 on Python < 3.11
  --version) echo "Python {version}"; exit 0 ;;
esac
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python"; exit 0; fi
echo "{version} $*" >> "$SETUP_LOG"
"""


def stand_in(path: Path, version: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    old = int(tuple(map(int, version.split("."))) < (3, 11))
    path.write_text(STAND_IN.format(version=version, old=old))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "scripts" / "setup.sh", root / "scripts" / "setup.sh")
    return root


def setup(root: Path, python: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHON": str(python), "SETUP_LOG": str(root / "setup.log")}
    return subprocess.run(
        ["bash", str(root / "scripts" / "setup.sh")], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def installs(root: Path) -> list[str]:
    log = root / "setup.log"
    return log.read_text().splitlines() if log.exists() else []


def test_a_venv_made_by_an_old_python_is_rebuilt(tmp_path: Path) -> None:
    root = project(tmp_path)
    stand_in(root / ".venv" / "bin" / "python", "3.9")
    (root / ".venv" / "made-by-3.9").touch()
    result = setup(root, stand_in(tmp_path / "bin" / "python3.11", "3.11"))
    assert result.returncode == 0, result.stderr
    assert "rebuilding it" in result.stderr and "Python 3.9" in result.stderr
    assert not (root / ".venv" / "made-by-3.9").exists()
    lines = installs(root)
    assert lines and all(line.startswith("3.11 -m pip install") for line in lines)  # the new venv's python
    assert any("-c constraints.txt -e .[dev]" in line for line in lines)


def test_a_good_venv_is_kept(tmp_path: Path) -> None:
    root = project(tmp_path)
    stand_in(root / ".venv" / "bin" / "python", "3.12")
    (root / ".venv" / "kept").touch()
    result = setup(root, stand_in(tmp_path / "bin" / "python3.11", "3.11"))
    assert result.returncode == 0, result.stderr
    assert (root / ".venv" / "kept").exists()
    assert all(line.startswith("3.12 ") for line in installs(root))


def test_an_old_python_is_refused_with_one_clear_message(tmp_path: Path) -> None:
    root = project(tmp_path)
    result = setup(root, stand_in(tmp_path / "bin" / "python3.9", "3.9"))
    assert result.returncode == 1
    assert "banbot needs Python 3.11 or later" in result.stderr and "Python 3.9" in result.stderr
    assert "PYTHON=python3.11 bash scripts/setup.sh" in result.stderr
    assert not (root / ".venv").exists() and not installs(root)
