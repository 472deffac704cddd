"""The import graph flows one way: api → pipeline → store → domain; nothing below imports the API.

A lower layer that imports a higher one ties the stored format or the rule tests to
the HTTP contract again (the redesign of issue 11 undid exactly that), so the graph
is checked from the source, including imports inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parents[1] / "service"

# package → the service packages it must never import
FORBIDDEN = {
    "domain": {"api", "pipeline", "rulebook", "store", "engine", "cli", "cli_rules", "cli_support", "runtime"},
    "store": {"api", "pipeline", "rulebook", "engine", "cli", "cli_rules", "cli_support", "runtime"},
    "rulebook": {"api", "store", "cli", "cli_rules", "cli_support", "runtime"},
    "pipeline": {"api", "cli", "cli_rules", "cli_support", "runtime"},
    "engine": {"api", "pipeline", "rulebook", "store", "cli", "cli_rules", "cli_support", "runtime"},
}


def _imported_packages(path: Path) -> set[str]:
    """The top-level service packages/modules a file imports (`service.store.unit` → `store`)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "service" and len(parts) > 1:
                found.add(parts[1])
    return found


def _files(layer: str) -> list[Path]:
    single = SERVICE / f"{layer}.py"
    return [single] if single.exists() else sorted((SERVICE / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_layer_imports_a_layer_above_it(layer):
    wrong = {f"{path.relative_to(SERVICE.parent)} imports service.{package}"
             for path in _files(layer) for package in _imported_packages(path) & FORBIDDEN[layer]}
    assert not wrong, sorted(wrong)


def test_the_check_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from service.api.schemas import TriageRequest\n", encoding="utf-8")
    assert _imported_packages(module) == {"api"}
