"""The shape of the `raccordo` package, checked from its source (issue #15).

The import graph is built with `ast`, so nothing is imported and the checks run in a fraction of a second.
Every import counts, including those inside functions (they hide a cycle, they do not break it); imports
under `if TYPE_CHECKING:` do not, because they never run. Each check fails with the full list of its
offenders, one per line, so a failure says where to look without a debugger.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import raccordo

PACKAGE_DIR = Path(raccordo.__file__).resolve().parent
SOURCE_ROOT = PACKAGE_DIR.parent
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60


@dataclass
class Module:
    """One source file of the package: its dotted name, its lines and what it imports."""

    name: str
    path: Path
    is_package: bool
    lines: list[str]
    tree: ast.Module
    imports: set[str] = field(default_factory=set)
    # (line, source) of each import placed inside a function
    inner_imports: list[tuple[int, str]] = field(default_factory=list)

    @property
    def where(self) -> str:
        return str(self.path.relative_to(SOURCE_ROOT))


def _is_migration(path: Path) -> bool:
    return "migrations" in path.relative_to(PACKAGE_DIR).parts


def _load_modules() -> dict[str, Module]:
    modules = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        if _is_migration(path):
            continue
        parts = path.relative_to(SOURCE_ROOT).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        source = path.read_text(encoding="utf-8")
        modules[name] = Module(name, path, is_package, source.splitlines(), ast.parse(source, str(path)))
    return modules


def _targets(module: Module, node: ast.Import | ast.ImportFrom, known: dict[str, Module]) -> set[str]:
    """The raccordo modules an import statement loads: `from a import b` loads `a.b` when that is a module."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.name.split(".") if module.is_package else module.name.split(".")[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join(package + ([base] if base else []))
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
    found = set()
    for name in names:
        # `import raccordo.a.b` loads raccordo.a.b; walk up to the nearest module the package has
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name.startswith("raccordo"):
            found.add(name)
    return found


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(inner) for stmt in node.body for inner in ast.walk(stmt))
    return skipped


def _collect_imports(module: Module, known: dict[str, Module]) -> None:
    skipped = _type_checking_nodes(module.tree)

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)) and id(child) not in skipped:
                module.imports |= _targets(module, child, known) - {module.name}
                if in_function:
                    module.inner_imports.append((child.lineno, ast.unparse(child)))
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(module.tree, False)


_MODULES: dict[str, Module] | None = None


def modules() -> dict[str, Module]:
    global _MODULES
    if _MODULES is None:
        _MODULES = _load_modules()
        for module in _MODULES.values():
            _collect_imports(module, _MODULES)
    return _MODULES


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative: the graph is deep)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            advanced = False
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = counter
                    counter += 1
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(graph.get(succ, ())))))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def _fail_listing(title: str, offenders: list[str]) -> None:
    """Fail with one offender a line, no traceback: the list is the message."""
    if offenders:
        pytest.fail(f"{title} ({len(offenders)}):\n" + "\n".join(f"  {line}" for line in offenders), pytrace=False)


def test_the_graph_sees_the_whole_package():
    """A guard for the checks below: they are only as good as the graph they read."""
    found = modules()
    assert "raccordo.core.models" in found and "raccordo.exchange.engine" in found
    assert "raccordo.core.ids" in found["raccordo.access.models"].imports


def test_no_import_cycle():
    graph = {name: module.imports for name, module in modules().items()}
    cycles = _cycles(graph)
    offenders = []
    for cycle in cycles:
        members = set(cycle)
        edges = [f"{a} -> {b}" for a in cycle for b in sorted(graph[a] & members)]
        offenders.append(f"{len(cycle)} modules: " + ", ".join(cycle) + "\n      via " + "; ".join(edges))
    _fail_listing("Import cycles (imports inside functions count)", offenders)


def test_imports_inside_functions_say_why():
    """An import placed in a function hides a dependency; a comment on its line or the line above says why."""
    offenders = []
    for module in modules().values():
        for line, source in module.inner_imports:
            here = module.lines[line - 1]
            above = module.lines[line - 2].strip() if line > 1 else ""
            if "#" not in here and not above.startswith("#"):
                offenders.append((module.where, line, source))
    _fail_listing("Imports inside functions without a comment saying why",
                  [f"{where}:{line}: {source}" for where, line, source in sorted(offenders)])


def test_core_imports_no_other_app():
    """core is the ground floor: every app may build on it, it builds on none of them."""
    offenders = []
    for module in modules().values():
        if module.name == "raccordo.core" or module.name.startswith("raccordo.core."):
            for target in sorted(module.imports):
                if not (target == "raccordo.core" or target.startswith("raccordo.core.")) and target != "raccordo":
                    offenders.append(f"{module.where}: imports {target}")
    _fail_listing("raccordo.core importing another app", sorted(offenders))


def test_no_module_over_500_lines():
    offenders = [
        f"{module.where}: {len(module.lines)} lines"
        for module in modules().values()
        if len(module.lines) > MAX_MODULE_LINES
    ]
    _fail_listing(f"Modules over {MAX_MODULE_LINES} lines (migrations excluded)", sorted(offenders))


def test_no_function_over_60_lines():
    offenders = []
    for module in modules().values():
        for node in ast.walk(module.tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1   # from `def` to the body's last line
                if length > MAX_FUNCTION_LINES:
                    offenders.append((module.where, node.lineno, f"{node.name}: {length} lines"))
    _fail_listing(f"Functions over {MAX_FUNCTION_LINES} lines (migrations excluded)",
                  [f"{where}:{line} {what}" for where, line, what in sorted(offenders)])


# The floors of `raccordo.exchange`, lowest first (docs/architecture.md, "Inside exchange"). A module imports
# its own floor and the floors below, never one above; a module not listed here is on the top floor.
EXCHANGE_FLOORS: list[tuple[str, tuple[str, ...]]] = [
    ("formats", ("formats",)),
    ("engine", ("apps", "models", "engine", "upsert", "binding_rows", "conflicts", "mappings", "cron", "uploads",
                "exporters", "onec.models", "onec.apps", "enterprisedata.models", "enterprisedata.apps")),
    ("importers", ("importers", "tabular", "enterprisedata", "nodes", "sources")),
    ("orchestration", ("services", "run_execution", "task_running", "tasks", "runs", "scheduling", "selectors",
                       "conflict_review", "settings_file")),
    ("transports and pages", ("onec", "enterprisedata.views", "views", "task_views", "conflict_views", "urls", "templatetags",
                              "management")),
]


def _exchange_floor(name: str) -> int | None:
    """The floor of an exchange module (by its longest listed prefix), None outside exchange."""
    prefix = "raccordo.exchange"
    if name != prefix and not name.startswith(prefix + "."):
        return None
    rest = name[len(prefix) + 1:]
    best, best_length = len(EXCHANGE_FLOORS) - 1, -1
    for floor, (_label, parts) in enumerate(EXCHANGE_FLOORS):
        for part in parts:
            if (rest == part or rest.startswith(part + ".")) and len(part) > best_length:
                best, best_length = floor, len(part)
    return best


def test_exchange_imports_only_downwards():
    """formats -> engine -> importers -> orchestration -> transports and pages: never an import upwards."""
    offenders = []
    for module in modules().values():
        floor = _exchange_floor(module.name)
        if floor is None:
            continue
        for target in sorted(module.imports):
            target_floor = _exchange_floor(target)
            if target_floor is not None and target_floor > floor:
                offenders.append(f"{module.where} ({EXCHANGE_FLOORS[floor][0]}) imports {target} "
                                 f"({EXCHANGE_FLOORS[target_floor][0]})")
    _fail_listing("Imports upwards inside raccordo.exchange", sorted(offenders))


def _absolute_imports(module: Module) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            found.append((node.lineno, node.module or ""))
    return found


def _pure_leaf(name: str) -> bool:
    """A Raccordo module that imports neither Django nor anything of Raccordo (e.g. core.xmltext)."""
    module = modules().get(name)
    return module is not None and not module.imports and not any(
        imported.split(".")[0] == "django" for _line, imported in _absolute_imports(module))


def test_formats_are_pure():
    """The format readers and writers know no Django and, but for pure leaf helpers, nothing else of Raccordo:
    they are tested and benchmarked alone."""
    offenders = []
    for module in modules().values():
        if not module.name.startswith("raccordo.exchange.formats"):
            continue
        for line, name in _absolute_imports(module):
            if name.split(".")[0] == "django":
                offenders.append(f"{module.where}:{line}: {name}")
            elif name.startswith("raccordo") and not name.startswith("raccordo.exchange.formats") \
                    and not _pure_leaf(name):
                offenders.append(f"{module.where}:{line}: {name} (not a pure leaf module)")
    _fail_listing("Imports of Django or of Raccordo outside exchange.formats, in exchange.formats", offenders)
