"""The import graph has the shape DESIGN.md §1 draws: arrows point down only, no package cycles, small modules.

Imports are read with ast (TYPE_CHECKING ones included: they are arrows too), so nothing is imported here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from bot.settings import PROJECT_ROOT

BOT = PROJECT_ROOT / "bot"
MAX_LINES = 400

ALLOWED: dict[str, set[str]] = {
    # package -> the packages and modules of bot it may import (besides itself)
    "bot.types": set(),
    "bot.errors": set(),
    "bot.core": {"bot.types", "bot.errors", "bot.knowledge"},
    "bot.knowledge": {"bot.types", "bot.errors"},
    "bot.storage": {"bot.types", "bot.errors"},
}
STORAGE_PORTS = {"bot.storage.base", "bot.storage.records"}
STORE_FACTORY = "bot.storage.sql"
"""Where open_store lives: what opens a store for a command (reports, benchmarks) may import it."""
PORTS_ONLY = {"bot.delivery": STORAGE_PORTS, "bot.curation": STORAGE_PORTS}
PORTS_AND_FACTORY = {"bot.ops": STORAGE_PORTS | {STORE_FACTORY}, "bot.bench": STORAGE_PORTS | {STORE_FACTORY}}


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> Iterator[str]:
    """Every bot module this file imports (absolute names; relative imports resolved)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        yield from (t for t in targets if t == "bot" or t.startswith("bot."))


def unit(module: str) -> str:
    """The layer a module belongs to: its package under bot/, or the top-level module itself."""
    parts = module.split(".")
    return ".".join(parts[:2])


def edges() -> set[tuple[str, str]]:
    """(importing module, imported module) for every import between bot modules."""
    known = {module_name(p) for p in BOT.rglob("*.py")}
    found = set()
    for path in BOT.rglob("*.py"):
        source = module_name(path)
        for target in imports_of(path):
            if target in known and target != source:
                found.add((source, target))
    return found


def test_lower_layers_import_nothing_above_them() -> None:
    wrong = []
    for source, target in sorted(edges()):
        allowed = ALLOWED.get(unit(source))
        if allowed is None or unit(target) == unit(source):
            continue
        if unit(target) not in allowed:
            wrong.append(f"{source} -> {target}")
    assert wrong == []


def test_storage_is_used_through_its_ports() -> None:
    rules = PORTS_ONLY | PORTS_AND_FACTORY
    wrong = [
        f"{source} -> {target}"
        for source, target in sorted(edges())
        if unit(target) == "bot.storage" and unit(source) in rules and target not in rules[unit(source)]
    ]
    assert wrong == []


def test_no_cycles_between_packages() -> None:
    graph: dict[str, set[str]] = {}
    for source, target in edges():
        if unit(source) != unit(target):
            graph.setdefault(unit(source), set()).add(unit(target))
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt == path[0]:
                cycles.append(" -> ".join([*path, nxt]))
            elif nxt not in path and nxt > path[0]:  # each cycle once, from its smallest member
                visit(nxt, [*path, nxt])

    for start in sorted(graph):
        visit(start, [start])
    assert cycles == []


def test_no_module_above_400_lines() -> None:
    sizes = {
        str(path.relative_to(PROJECT_ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in BOT.rglob("*.py")
    }
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def test_the_rules_see_real_imports() -> None:
    """Guards the guard: the parser finds known arrows, so an empty list above means something."""
    found = edges()
    assert ("bot.delivery.engine", "bot.storage.base") in found
    assert ("bot.core.answering", "bot.knowledge.loader") in found
    assert ("bot.engine.holder", "bot.core.answering") in found
