"""The shape of the code: every module in its room.

Reads the source with `ast` only (nothing is imported), builds the graph of imports between the
project's modules, imports inside functions included, and checks that
(a) kiosk_api has no import cycle, not even one broken by an import inside a function,
(b) a domain's router never imports another domain's router,
(c) only tools/ imports tools (dev-only code stays out of the runtime).
"""
from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("kiosk_api", "bot", "lotse_shared")
SKIPPED_DIRS = {"node_modules", "__pycache__"}
DEV_PACKAGE = "tools"

Graph = dict[str, set[str]]


def module_files(root: Path = ROOT, packages: Iterable[str] = SCANNED) -> Iterator[tuple[str, Path]]:
    """(dotted module name, path) of every .py file below the packages; hidden and vendored folders skipped."""
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if any(part in SKIPPED_DIRS or part.startswith(".") for part in parts):
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join(parts), path


def _base_package(module: str, is_package: bool, level: int) -> str:
    """The package a relative import of this level starts from."""
    parts = module.split(".") if is_package else module.split(".")[:-1]
    return ".".join(parts[: len(parts) - (level - 1)] if level > 1 else parts)


def _known(name: str, modules: set[str]) -> str:
    """The longest prefix of a dotted name that is a module of ours, else the name itself."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return name


def imports_of(module: str, source: str, modules: set[str], *, is_package: bool = False) -> set[str]:
    """Every module this source imports, wherever the import statement stands (functions, conditions)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(_known(alias.name, modules) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _base_package(module, is_package, node.level)
                origin = f"{base}.{node.module}" if node.module else base
            else:
                origin = node.module or ""
            for alias in node.names:
                # `from package import submodule` imports the submodule; `from module import name` the module.
                submodule = f"{origin}.{alias.name}"
                found.add(submodule if submodule in modules else _known(origin, modules))
    found.discard(module)
    return found


def build_graph(root: Path = ROOT, packages: Iterable[str] = SCANNED) -> Graph:
    files = dict(module_files(root, packages))
    modules = set(files)
    return {
        name: imports_of(name, path.read_text(encoding="utf-8"), modules, is_package=path.name == "__init__.py")
        for name, path in files.items()
    }


def cycles(graph: Graph, within: str) -> list[list[str]]:
    """One cycle (as a path that returns to its start) per strongly connected group of modules under `within`."""
    nodes = sorted(n for n in graph if n == within or n.startswith(within + "."))
    inside = set(nodes)
    edges = {n: sorted(t for t in graph[n] if t in inside) for n in nodes}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(node: str) -> None:  # Tarjan; the module graph is small enough for recursion
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges[node]:
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    for node in nodes:
        if node not in index:
            connect(node)
    return [_a_cycle(group, edges) for group in groups]


def _a_cycle(group: list[str], edges: dict[str, list[str]]) -> list[str]:
    """A shortest way from the group's first module back to itself, for the failure message."""
    members = set(group)
    start = group[0]
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in edges[node]:
                if target == start:
                    return paths[node] + [start]
                if target in members and target not in paths:
                    paths[target] = paths[node] + [target]
                    following.append(target)
        frontier = following
    return group


def _domain(module: str) -> str:
    return module.rsplit(".", 1)[0]


def router_imports(graph: Graph) -> list[tuple[str, str]]:
    return sorted(
        (module, target)
        for module, targets in graph.items()
        if module.rsplit(".", 1)[-1] == "router"
        for target in targets
        if target.rsplit(".", 1)[-1] == "router" and _domain(target) != _domain(module)
    )


def dev_imports(graph: Graph) -> list[tuple[str, str]]:
    return sorted(
        (module, target)
        for module, targets in graph.items()
        if not (module == DEV_PACKAGE or module.startswith(DEV_PACKAGE + "."))
        for target in targets
        if target == DEV_PACKAGE or target.startswith(DEV_PACKAGE + ".")
    )


GRAPH = build_graph()


def test_the_graph_covers_the_project() -> None:
    for module in ("kiosk_api.main", "kiosk_api.queue.router", "bot.actions.handover", "lotse_shared.text"):
        assert module in GRAPH, module
    assert "kiosk_api.config" in GRAPH["kiosk_api.main"]
    assert "bot.actions.api.kiosk" in GRAPH["bot.actions.handover"]


def test_no_import_cycle_in_kiosk_api() -> None:
    found = cycles(GRAPH, "kiosk_api")
    assert found == [], "import cycles: " + "; ".join(" -> ".join(cycle) for cycle in found)


def test_routers_do_not_import_other_domains_routers() -> None:
    assert router_imports(GRAPH) == []


def test_only_tools_import_tools() -> None:
    assert dev_imports(GRAPH) == []


# --- the checks themselves -------------------------------------------------------------------------


def test_a_cycle_closed_by_an_import_inside_a_function_is_found(tmp_path: Path) -> None:
    package = tmp_path / "kiosk_api"
    (package / "queue").mkdir(parents=True)
    (package / "notifications").mkdir()
    for folder in (package, package / "queue", package / "notifications"):
        (folder / "__init__.py").write_text("")
    (package / "queue" / "service.py").write_text("from kiosk_api.notifications.service import enqueue\n")
    (package / "notifications" / "service.py").write_text(
        "def remind():\n    from ..queue import service\n    return service\n\ndef enqueue():\n    pass\n"
    )
    (package / "queue" / "router.py").write_text("from kiosk_api.queue import service\nfrom kiosk_api.intake.router import ProofDep\n")
    (package / "intake").mkdir()
    (package / "intake" / "router.py").write_text("import tools.i18n_tools\n")
    graph = build_graph(tmp_path, ["kiosk_api"])
    assert graph["kiosk_api.queue.router"] == {"kiosk_api.queue.service", "kiosk_api.intake.router"}
    assert cycles(graph, "kiosk_api") == [["kiosk_api.notifications.service", "kiosk_api.queue.service", "kiosk_api.notifications.service"]]
    assert router_imports(graph) == [("kiosk_api.queue.router", "kiosk_api.intake.router")]
    assert dev_imports(graph) == [("kiosk_api.intake.router", "tools.i18n_tools")]
