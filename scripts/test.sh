#!/usr/bin/env bash
# Sets up .venv if needed, then runs the whole suite (linters and type checks run as tests too).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest -q -n auto "$@"
