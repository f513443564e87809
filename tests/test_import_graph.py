"""The module import graph has no cycle: every import counts, at module level or inside a function body.

Each module of ``rope_sym``, ``derivations`` and ``verify`` is parsed with ``ast``; an import names the most
specific module it reaches (``from pkg import sub`` reaches ``pkg.sub`` when ``sub`` is a module, else ``pkg``).
A function-body import hides a circle from Python's import machinery but not from a reader: one module still
needs the other and the other needs it back.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("rope_sym", "derivations", "verify")


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def import_graph() -> dict[str, set[str]]:
    """Module -> the repository modules it imports (anywhere in its body)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(name, path, node)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for target in targets:
                while target and target not in modules:  # `import a.b.c` of a non-module attribute: its module
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_graph_sees_function_body_imports():
    graph = import_graph()
    # verify.launcher imports verify.cli inside main(): the parser must see it
    assert "verify.cli" in graph["verify.launcher"]
    assert len(graph) > 80


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycle_within_a_package(package):
    graph = import_graph()
    inside = {m: {t for t in targets if t.split(".")[0] == package} for m, targets in graph.items()
              if m.split(".")[0] == package}
    assert cycles(inside) == []


def test_no_import_cycle_across_the_packages():
    assert cycles(import_graph()) == []


def test_the_packages_stay_layered():
    # rope_sym knows nothing of the others; derivations does not import verify
    graph = import_graph()
    for module, targets in graph.items():
        top = module.split(".")[0]
        allowed = {"rope_sym": {"rope_sym"}, "derivations": {"rope_sym", "derivations"},
                   "verify": set(PACKAGES)}[top]
        assert {t.split(".")[0] for t in targets} <= allowed, module
