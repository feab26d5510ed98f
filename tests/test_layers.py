"""The import graph of `plugin/`: imports go one way, down the layers, and never in a cycle.

Layers, top to bottom (a module may import its own group and any group of a lower layer, never
a group of its own layer or above; the single-file modules of layers 0, 5 and 6 may import one
another):

6. `plugin` (the package facade), `plugin.__main__`, `plugin.cli`, `plugin.commands`
5. `plugin.python_api`, `plugin.coding`, `plugin.bulk`, `plugin.dataframes` (in-process use of
   the operations)
4. `plugin.api` (HTTP: routes, negotiation, middleware)
3. `plugin.ops` (the operations, their parameters and the operation registry)
2. `plugin.text` (reading procedure descriptions; uses the content model) and `plugin.compile`
   (coding-section text -> rules -> a content pack; beside the content model, never used by it)
1. `plugin.content` (the terminology model) and `plugin.wire` (R4/R5 rendering): siblings that
   never import each other
0. `plugin.types`, `plugin.errors`, `plugin.messages`, `plugin.outcomes`, `plugin.jsonio`,
   `plugin.config`, `plugin.budget` (shared values, the error type and catalogue, operation
   outcomes, the per-request work budget)

Every import counts, also those inside functions or under `TYPE_CHECKING`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "plugin"

RANK = {
    "types": 0,
    "errors": 0,
    "messages": 0,
    "outcomes": 0,
    "jsonio": 0,
    "config": 0,
    "budget": 0,
    "content": 1,
    "wire": 1,
    "text": 2,
    "compile": 2,
    "ops": 3,
    "api": 4,
    "python_api": 5,
    "coding": 5,
    "bulk": 5,
    "dataframes": 5,
    "commands": 6,
    "cli": 6,
    "__main__": 6,
    "": 6,
}
# Layers made of single-file modules, which may import one another (the cycle test still applies);
# the packages of the middle layers never import a sibling package.
SINGLE_FILES = {0, 5, 6}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _group(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports(path: Path, module: str) -> set[str]:
    """The `plugin` modules `path` imports, resolved to module names (not names in them)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "plugin")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            if base.split(".")[0] != "plugin":
                continue
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in MODULES else base)
    found.discard(module)
    return found


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}
GRAPH = {m: _imports(p, m) for m, p in MODULES.items()}


def test_every_group_has_a_layer() -> None:
    assert {_group(m) for m in MODULES} <= set(RANK)


def _upward(module: str, graph: dict[str, set[str]]) -> list[str]:
    """The imports of `module` that go up a layer or sideways into a sibling package."""
    mine = _group(module)
    bad = []
    for target in sorted(graph[module]):
        theirs = _group(target)
        if theirs == mine:
            continue
        if not (RANK[theirs] < RANK[mine] or RANK[theirs] == RANK[mine] in SINGLE_FILES):
            bad.append(f"{module} imports {target}: layer {RANK[mine]} -> layer {RANK[theirs]}")
    return bad


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of `graph`, or None (depth-first search)."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for t in sorted(graph.get(m, ())):
            if t not in graph:
                continue
            if state.get(t) == 1:
                return [*path[path.index(t) :], t]
            if t not in state and (found := visit(t)) is not None:
                return found
        path.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)) is not None:
            return found
    return None


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_go_down(module: str) -> None:
    assert _upward(module, GRAPH) == []


def test_no_cycles() -> None:
    assert _cycle(GRAPH) is None


def test_the_checks_fail_on_a_cycle_and_on_upward_or_sideways_imports() -> None:
    """The graph builder resolves `from plugin.x import y` to modules, and the checks catch
    what they are for."""
    assert "plugin.types" in GRAPH["plugin.content.conceptmap"]
    assert "plugin.ops.registry" in GRAPH["plugin.api.routes"]
    bad = {
        "plugin.content.store": {"plugin.ops.registry", "plugin.wire.parameters"},
        "plugin.ops.registry": {"plugin.content.store"},
        "plugin.wire.parameters": set(),
    }
    assert len(_upward("plugin.content.store", bad)) == 2
    assert _upward("plugin.ops.registry", bad) == []
    assert _cycle(bad) == ["plugin.content.store", "plugin.ops.registry", "plugin.content.store"]
