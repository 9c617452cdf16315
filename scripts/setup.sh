#!/usr/bin/env bash
# Creates .venv (Python 3.11+) and installs banbot with its pinned dependencies and dev tools.
# A .venv made by an older Python (or broken) is rebuilt. PYTHON=python3.12 picks the interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
supported() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }
if ! supported "$PY"; then
  echo "setup: banbot needs Python 3.11 or later; $PY is $("$PY" --version 2>&1 || echo 'not found')." >&2
  echo "setup: install one and run: PYTHON=python3.11 bash scripts/setup.sh" >&2
  exit 1
fi
if [ -e .venv ] && ! supported .venv/bin/python; then
  echo "setup: .venv was made by an unsupported or missing Python ($(.venv/bin/python --version 2>&1 || true)): rebuilding it with $PY" >&2
  rm -rf .venv
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
