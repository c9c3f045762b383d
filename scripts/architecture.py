"""Counts what keeps the house plan honest: import cycles between apps and between modules,
first-party imports hidden inside functions, and role comparisons outside the access module.

    .venv/bin/python scripts/architecture.py          # a report
    .venv/bin/python scripts/architecture.py --check  # exit 1 when a cycle or an unexplained import appears

tests/crm/test_architecture.py runs the same counts in the suite.
"""

import ast
import re
import sys
from pathlib import Path

import grimp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent
APPS = ["crm", "clients", "tasks", "deals", "leads", "activities", "reports", "integrations", "web"]
# A first-party import inside a function is allowed only with a comment on the line above or beside
# it that says why (an AppConfig.ready() registering handlers is the usual reason).
ROLE_COMPARISON = re.compile(r"Role\.[A-Z_]+|\.role\s*(==|!=|\bin\b|\bnot in\b)|role__in=|role=Role\.")


def _source_files():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _strongly_connected(nodes, edges) -> list[list[str]]:
    """Tarjan's algorithm: the groups of nodes that import each other, directly or round about."""
    index, low, stack, on_stack, groups, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(10000)
    for node in nodes:
        if node not in index:
            visit(node)
    return groups


def import_graph():
    graph = grimp.build_graph(*APPS, cache_dir=None)
    modules = {m for m in graph.modules if ".migrations" not in m}
    edges = {m: {i for i in graph.find_modules_directly_imported_by(m) if i in modules} for m in modules}
    return modules, edges


def cycles() -> dict:
    modules, edges = import_graph()
    app_edges: dict[str, set[str]] = {}
    for src, targets in edges.items():
        for dst in targets:
            a, b = src.split(".")[0], dst.split(".")[0]
            if a != b:
                app_edges.setdefault(a, set()).add(b)
    return {
        "module_cycles": _strongly_connected(sorted(modules), edges),
        "app_cycles": _strongly_connected(APPS, app_edges),
    }


def imports_inside_functions() -> list[tuple[str, int, bool]]:
    """(file, line, explained) for every first-party import not at a module's top level."""
    found = []
    for path in _source_files():
        text = path.read_text()
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and inner.module and inner.module.split(".")[0] in APPS:
                    line = lines[inner.lineno - 1]
                    above = lines[inner.lineno - 2].strip() if inner.lineno > 1 else ""
                    explained = "#" in line or above.startswith("#")
                    found.append((str(path.relative_to(ROOT)), inner.lineno, explained))
    return found


def role_comparisons_outside_access() -> list[tuple[str, int]]:
    found = []
    for path in _source_files():
        rel = str(path.relative_to(ROOT))
        if rel in ("crm/access.py", "crm/roles.py"):
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if ROLE_COMPARISON.search(line) and not line.lstrip().startswith("#"):
                found.append((rel, n))
    return found


def main() -> int:
    result = cycles()
    inside = imports_inside_functions()
    roles = role_comparisons_outside_access()
    print(f"cycles between apps: {len(result['app_cycles'])} {result['app_cycles']}")
    print(f"cycles between modules: {len(result['module_cycles'])} {result['module_cycles']}")
    unexplained = [i for i in inside if not i[2]]
    print(f"first-party imports inside functions: {len(inside)} ({len(unexplained)} without a comment saying why)")
    for f, n, _ in unexplained:
        print(f"  {f}:{n}")
    print(f"role comparisons outside crm/access.py and crm/roles.py: {len(roles)}")
    for f, n in roles:
        print(f"  {f}:{n}")
    if "--check" in sys.argv and (result["app_cycles"] or result["module_cycles"] or unexplained):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
