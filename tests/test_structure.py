"""The shape of the code: every module in its room.

Reads the source with `ast` only (nothing is imported), builds the graph of imports between the
project's modules, imports inside functions included, and checks that
(a) kiosk_api has no import cycle, not even one broken by an import inside a function,
(b) a domain's router never imports another domain's router,
(c) only tools/ imports tools (dev-only code stays out of the runtime),
and that no copy is left in kiosk_api: (d) routers neither query nor write audit events (their
domain's service does), (e) the Idempotency-Key header is read in one module, (f) the event-stream
engine and the staff-login check live once, and no function body is written out twice.
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


def module_files(
    root: Path = ROOT, packages: Iterable[str] = SCANNED
) -> Iterator[tuple[str, Path]]:
    """(dotted module name, path) of every .py file below the packages; hidden and vendored
    folders skipped."""
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


def imports_of(
    module: str, source: str, modules: set[str], *, is_package: bool = False
) -> set[str]:
    """Every module this source imports, wherever the import statement stands (functions,
    conditions)."""
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
                # `from package import submodule` imports the submodule; `from module import name`
                # the module.
                submodule = f"{origin}.{alias.name}"
                found.add(submodule if submodule in modules else _known(origin, modules))
    found.discard(module)
    return found


def build_graph(root: Path = ROOT, packages: Iterable[str] = SCANNED) -> Graph:
    files = dict(module_files(root, packages))
    modules = set(files)
    return {
        name: imports_of(
            name, path.read_text(encoding="utf-8"), modules, is_package=path.name == "__init__.py"
        )
        for name, path in files.items()
    }


def cycles(graph: Graph, within: str) -> list[list[str]]:
    """One cycle (as a path that returns to its start) per strongly connected group of modules
    under `within`."""
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


def parse_modules(
    root: Path = ROOT, packages: Iterable[str] = ("kiosk_api",)
) -> dict[str, ast.Module]:
    return {
        name: ast.parse(path.read_text(encoding="utf-8"))
        for name, path in module_files(root, packages)
    }


def _is_router(module: str) -> bool:
    return module.rsplit(".", 1)[-1] == "router"


def _called(node: ast.AST) -> str | None:
    """The name a call calls: `f(...)` and `x.f(...)` both give "f"."""
    if not isinstance(node, ast.Call):
        return None
    if isinstance(node.func, ast.Name):
        return node.func.id
    return node.func.attr if isinstance(node.func, ast.Attribute) else None


# Reads and writes through the ORM session; transaction control (login's rollback) stays with the
# request.
SESSION_WORK = {
    "execute",
    "scalar",
    "scalars",
    "get",
    "add",
    "add_all",
    "delete",
    "merge",
    "flush",
    "refresh",
    "query",
}
AUDIT_WRITERS = {"record_event", "count_statistic"}


def router_data_work(trees: dict[str, ast.Module]) -> list[tuple[str, str]]:
    """(router, what) for each query, session write, audit write or sqlalchemy/audit import found
    in a router."""
    found = []
    for module, tree in trees.items():
        if not _is_router(module):
            continue
        for node in ast.walk(tree):
            imported = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.append(node.module)
            for name in imported:
                if name.split(".")[0] == "sqlalchemy" or name.startswith("kiosk_api.audit"):
                    found.append((module, f"imports {name}"))
            called = _called(node)
            if called in AUDIT_WRITERS:
                found.append((module, f"calls {called}"))
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in SESSION_WORK
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "session"
            ):
                found.append((module, f"session.{node.func.attr}"))
    return sorted(found)


def modules_calling(trees: dict[str, ast.Module], name: str) -> set[str]:
    return {
        module
        for module, tree in trees.items()
        if any(_called(node) == name for node in ast.walk(tree))
    }


def idempotency_header_readers(trees: dict[str, ast.Module]) -> set[str]:
    """Modules that declare the Idempotency-Key header (a parameter `idempotency_key` or the
    header's name)."""
    return {
        module
        for module, tree in trees.items()
        for node in ast.walk(tree)
        if (isinstance(node, ast.arg) and node.arg == "idempotency_key")
        or (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.lower() == "idempotency-key"
        )
    }


IDEMPOTENCY_STEPS = {"begin", "complete", "scope_for"}


def idempotency_steps_outside(
    trees: dict[str, ast.Module], home: str = "kiosk_api.idempotency"
) -> set[str]:
    """Modules other than `home` that do the claim/replay/store steps themselves instead of
    `IdempotencyDep.run`."""
    found = set()
    for module, tree in trees.items():
        if module == home:
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == home
                and any(a.name in IDEMPOTENCY_STEPS for a in node.names)
            ):
                found.add(module)
            if (
                isinstance(node, ast.Attribute)
                and node.attr in IDEMPOTENCY_STEPS
                and isinstance(node.value, ast.Name)
                and node.value.id == "idempotency"
            ):
                found.add(module)
    return found


def event_stream_modules(trees: dict[str, ast.Module]) -> set[str]:
    """Modules that build a server-sent event stream."""
    return {
        module
        for module, tree in trees.items()
        for node in ast.walk(tree)
        if _called(node) == "StreamingResponse"
        or (isinstance(node, ast.Constant) and node.value == "text/event-stream")
    }


def defined_functions(trees: dict[str, ast.Module], name: str) -> set[str]:
    return {
        module
        for module, tree in trees.items()
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name
    }


def copied_functions(trees: dict[str, ast.Module], min_statements: int = 2) -> list[list[str]]:
    """Groups of functions whose bodies (docstring aside) are the same code, from
    `min_statements` statements up."""
    bodies: dict[str, list[str]] = {}
    for module, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            body = node.body[1:] if ast.get_docstring(node) is not None else node.body
            if len(body) < min_statements:
                continue
            code = ast.dump(ast.Module(body=body, type_ignores=[]), annotate_fields=False)
            bodies.setdefault(code, []).append(f"{module}.{node.name}")
    return sorted(sorted(names) for names in bodies.values() if len(names) > 1)


GRAPH = build_graph()
KIOSK = parse_modules()


def test_the_graph_covers_the_project() -> None:
    for module in (
        "kiosk_api.main",
        "kiosk_api.queue.router",
        "bot.actions.handover",
        "lotse_shared.text",
    ):
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


def test_routers_leave_queries_and_audit_writes_to_their_service() -> None:
    assert router_data_work(KIOSK) == []


def test_the_idempotency_key_is_read_and_handled_in_one_module() -> None:
    assert idempotency_header_readers(KIOSK) == {"kiosk_api.idempotency"}
    assert idempotency_steps_outside(KIOSK) == set()
    assert {
        "kiosk_api.queue.router",
        "kiosk_api.consent.router",
        "kiosk_api.appointments.router",
    } <= {module for module in KIOSK if "kiosk_api.idempotency" in GRAPH[module]}


def test_the_stream_engine_and_the_staff_login_check_live_once() -> None:
    assert event_stream_modules(KIOSK) == {"kiosk_api.queue.streams"}
    assert modules_calling(KIOSK, "token_hash") == {"kiosk_api.staff.service"}
    assert modules_calling(KIOSK, "staff_for_token") == {
        "kiosk_api.deps",
        "kiosk_api.queue.streams",
    }
    assert (
        defined_functions(KIOSK, "free_port") == set()
    )  # the server never picks its own port; tests do


def test_no_function_body_is_written_twice() -> None:
    assert copied_functions(KIOSK) == []


# --- the checks themselves
# -------------------------------------------------------------------------


def test_a_cycle_closed_by_an_import_inside_a_function_is_found(tmp_path: Path) -> None:
    package = tmp_path / "kiosk_api"
    (package / "queue").mkdir(parents=True)
    (package / "notifications").mkdir()
    for folder in (package, package / "queue", package / "notifications"):
        (folder / "__init__.py").write_text("")
    (package / "queue" / "service.py").write_text(
        "from kiosk_api.notifications.service import enqueue\n"
    )
    (package / "notifications" / "service.py").write_text(
        "def remind():\n    from ..queue import service\n    return service\n\ndef enqueue():\n    "
        "pass\n"
    )
    (package / "queue" / "router.py").write_text(
        "from kiosk_api.queue import service\nfrom kiosk_api.intake.router import ProofDep\n"
    )
    (package / "intake").mkdir()
    (package / "intake" / "router.py").write_text("import tools.i18n_tools\n")
    graph = build_graph(tmp_path, ["kiosk_api"])
    assert graph["kiosk_api.queue.router"] == {"kiosk_api.queue.service", "kiosk_api.intake.router"}
    assert cycles(graph, "kiosk_api") == [
        [
            "kiosk_api.notifications.service",
            "kiosk_api.queue.service",
            "kiosk_api.notifications.service",
        ]
    ]
    assert router_imports(graph) == [("kiosk_api.queue.router", "kiosk_api.intake.router")]
    assert dev_imports(graph) == [("kiosk_api.intake.router", "tools.i18n_tools")]


def test_copies_and_data_work_in_routers_are_found(tmp_path: Path) -> None:
    package = tmp_path / "kiosk_api"
    (package / "web").mkdir(parents=True)
    (package / "admin").mkdir()
    (package / "web" / "router.py").write_text(
        "from fastapi.responses import StreamingResponse\n"
        "from sqlalchemy import select\n"
        "from kiosk_api.security import token_hash\n"
        "def stream(request, idempotency_key=None):\n"
        "    digest = token_hash(request.headers['authorization'])\n"
        "    return StreamingResponse(iter(()), media_type='text/event-stream')\n"
        "def free_port():\n    port = 0\n    return port\n"
    )
    (package / "admin" / "router.py").write_text(
        "from kiosk_api import idempotency\n"
        "from kiosk_api.audit.service import record_event\n"
        "def update(session, site, key):\n"
        "    idempotency.begin(session=session, scope='x', key=key, payload={})\n"
        "    session.add(site)\n"
        "    record_event(session=session)\n"
        "def other_port():\n    port = 0\n    return port\n"
    )
    trees = parse_modules(tmp_path, ["kiosk_api"])
    assert router_data_work(trees) == [
        ("kiosk_api.admin.router", "calls record_event"),
        ("kiosk_api.admin.router", "imports kiosk_api.audit.service"),
        ("kiosk_api.admin.router", "session.add"),
        ("kiosk_api.web.router", "imports sqlalchemy"),
    ]
    assert idempotency_header_readers(trees) == {"kiosk_api.web.router"}
    assert idempotency_steps_outside(trees) == {"kiosk_api.admin.router"}
    assert event_stream_modules(trees) == {"kiosk_api.web.router"}
    assert modules_calling(trees, "token_hash") == {"kiosk_api.web.router"}
    assert defined_functions(trees, "free_port") == {"kiosk_api.web.router"}
    assert copied_functions(trees) == [
        ["kiosk_api.admin.router.other_port", "kiosk_api.web.router.free_port"]
    ]
