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


def _bare_any(tree: ast.AST) -> list[tuple[int, str]]:
    """Parameters and returns annotated with a bare ``Any`` (``dict[str, Any]`` for JSON is fine): what mypy then
    checks nothing of."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
            annotated = [(a.arg, a.annotation) for a in args] + [("return", node.returns)]
            for name, annotation in annotated:
                if isinstance(annotation, ast.Name) and annotation.id == "Any":
                    found.append((node.lineno, f"{node.name}({name})"))
    return found


#: JSON going out, and click's own pass-through of a command's arguments.
ANY_ALLOWED = {"emit_json(data)", "callback(return)"}


def test_the_clis_calls_into_the_services_are_typed() -> None:
    """Issue #14: the CLI's calls into the services were typed ``Any``, so mypy checked none of them. Screens'
    service calls likewise (``call_service`` is generic over the work's result)."""
    offences = []
    for folder in ("cli", "tui"):
        for path in sorted((PACKAGE / folder).rglob("*.py")):
            for line, where in _bare_any(ast.parse(path.read_text(encoding="utf-8"))):
                if (where.endswith("(svc)") or folder == "cli") and where not in ANY_ALLOWED:
                    offences.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {where}")
    assert offences == []


def test_the_any_check_sees_an_untyped_service_call() -> None:
    tree = ast.parse("def catalog(app: AppContext) -> Any: ...\ndef ok(data: dict[str, Any]) -> None: ...\n")
    assert _bare_any(tree) == [(1, "catalog(return)")]
