"""The package's import graph points one way: no module imports, directly or through others,
a module that imports it back (lazy imports inside functions count; TYPE_CHECKING ones do not)."""

from __future__ import annotations

import ast
from pathlib import Path

import sqlmig

ROOT = Path(sqlmig.__file__).parent
# packages whose circle is known and not yet broken (issue 12, "Shape"); empty when none is left
KNOWN: set[str] = set()


def _graph() -> dict[str, set[str]]:
    mods: dict[str, str] = {}
    for path in ROOT.rglob("*.py"):
        parts = ("sqlmig", *path.relative_to(ROOT).with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        mods[name] = name if parts[-1] == "__init__" else name.rsplit(".", 1)[0]
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, package in mods.items():
        path = ROOT.joinpath(*name.split(".")[1:])
        path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                node.body = []
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                full = f"{target}.{alias.name}"
                if full in mods:
                    graph[name].add(full)
                elif target in mods:
                    graph[name].add(target)
        graph[name].discard(name)
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on.add(start)
        while work:
            v, children = work[-1]
            w = next(children, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def test_no_import_circles() -> None:
    circles = [c for c in _circles(_graph()) if not any(m.startswith(tuple(KNOWN)) for m in c)]
    assert circles == []


def test_the_finder_sees_a_circle() -> None:
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_known_circles_still_exist() -> None:
    """A package listed in KNOWN whose circle is gone must leave the list (so it stays broken)."""
    found = {m.rsplit(".", 1)[0] for c in _circles(_graph()) for m in c}
    assert found >= KNOWN
