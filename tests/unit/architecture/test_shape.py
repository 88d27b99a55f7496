"""The code's shape, checked: no module reaches into another's private names, and no import circle in cockpit/
(the layers themselves are import-linter's contracts in pyproject.toml, run by `make lint`)."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

PACKAGE = Path(__file__).resolve().parents[3] / "cockpit"
#: Private names of the standard library and libraries, not of this code.
FOREIGN = {"_replace", "_asdict", "_fields", "_getframe", "_exit", "_thread", "_console", "_compositor"}


def _private_uses(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                continue
            if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "super":
                continue
            if node.attr in FOREIGN:
                continue
            found.append((node.lineno, node.attr))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cockpit"):
            found += [(node.lineno, alias.name) for alias in node.names
                      if alias.name.startswith("_") and not alias.name.startswith("__")]
    return found


def test_no_module_uses_another_modules_private_names() -> None:
    offences = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for line, name in _private_uses(ast.parse(path.read_text(encoding="utf-8"))):
            offences.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {name}")
    assert offences == []


def test_the_check_sees_a_private_call_across_modules() -> None:
    code = ("def f(svc):\n    return svc._find(1)\nfrom cockpit.x import _y\n"
            "class A:\n    def g(self):\n        self._h()\n")
    assert sorted(_private_uses(ast.parse(code))) == [(2, "_find"), (3, "_y")]


def _circles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in graph.find_modules_directly_imported_by(module):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == module:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return circles


def test_no_import_circle_in_the_package() -> None:
    assert _circles(grimp.build_graph("cockpit")) == []


def test_the_circle_check_finds_a_circle() -> None:
    graph = grimp.ImportGraph()
    for name in ("a", "a.b", "a.c", "a.d"):
        graph.add_module(name)
    graph.add_import(importer="a.b", imported="a.c")
    graph.add_import(importer="a.c", imported="a.b")
    graph.add_import(importer="a.c", imported="a.d")
    assert _circles(graph) == [["a.b", "a.c"]]
