"""The core and `banbot ask` never import a platform SDK (DESIGN.md §1)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from bot.settings import PROJECT_ROOT

PLATFORM_MODULES = ("discord", "telegram", "aiohttp", "sqlalchemy", "apscheduler")
PURE_PACKAGES = [PROJECT_ROOT / "bot" / "core", PROJECT_ROOT / "bot" / "knowledge"]


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_source_imports_no_platform_sdk() -> None:
    offenders = []
    files = [f for pkg in PURE_PACKAGES for f in pkg.rglob("*.py")]
    assert len(files) >= 10
    for path in files:
        for name in _imported_modules(path):
            if name.split(".")[0] in PLATFORM_MODULES:
                offenders.append(f"{path.relative_to(PROJECT_ROOT)} imports {name}")
    assert offenders == []


def test_banbot_ask_loads_no_platform_sdk() -> None:
    code = (
        "import sys, io; from bot.__main__ import main; sys.stdout = io.StringIO(); main(['ask', 'what is rednote']);"
        "sys.stdout = sys.__stdout__; print(sorted({m.split('.')[0] for m in sys.modules}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True)
    loaded = out.stdout
    for module in PLATFORM_MODULES:
        assert f"'{module}'" not in loaded
