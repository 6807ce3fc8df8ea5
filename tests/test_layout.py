"""The package layout: a deliberate public surface and no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import crashdb

SRC = Path(crashdb.__file__).resolve().parent

SEED_FUNCTIONS = {
    # connection and schema (the guide's connection.py)
    "DatabaseConnection",
    "init_db",
    "session_scope",
    "get_session",
    # logging (logger.py)
    "log_crash_round",
    "log_round_multiplier_analytics",
    "log_round_signal",
    "log_round_outcome",
    "log_error",
    "log_ocr_validation",
    "create_session_log",
    "update_session_log",
    "log_batch_rounds",
    # analytics, export and maintenance (utils.py)
    "get_bot_statistics",
    "get_session_summary",
    "get_game_statistics",
    "get_strategy_performance",
    "get_multiplier_distribution",
    "get_signal_effectiveness",
    "export_rounds_to_json",
    "export_multipliers_for_ml",
    "cleanup_old_records",
    "get_database_size",
}
CORE_TYPES = {
    "Database",
    "get_database",
    "RoundWriter",
    "Record",
    "RoundRecord",
    "MultiplierRecord",
    "SignalRecord",
    "OutcomeRecord",
    "ErrorRecord",
    "OCRRecord",
    "SessionStartRecord",
    "SessionUpdateRecord",
    "CrashdbError",
    "InvalidRecord",
    "ConflictingRecord",
    "FieldError",
    "DatabaseUnavailable",
    "SchemaNotInitialized",
    "VerificationError",
}


def test_top_level_api_is_the_seed_plus_the_core_types() -> None:
    assert set(crashdb.__all__) == SEED_FUNCTIONS | CORE_TYPES
    for name in crashdb.__all__:
        assert getattr(crashdb, name) is not None, name


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, modules: set[str], this: str) -> set[str]:
    """Every crashdb module imported anywhere in ``tree`` (function bodies included), except
    under ``if TYPE_CHECKING:``."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in modules)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            base = node.module
            for a in node.names:
                sub = f"{base}.{a.name}"
                if sub in modules:
                    found.add(sub)
                elif base in modules:
                    found.add(base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    found.discard(this)
    return found


def test_no_import_cycles() -> None:
    files = {
        _module_name(p): p
        for p in SRC.rglob("*.py")
        if "migrations" not in p.relative_to(SRC).parts[:2] or p.name != "env.py"
    }
    modules = set(files)
    graph = {m: _imports(ast.parse(p.read_text("utf-8")), modules, m) for m, p in files.items()}

    # Tarjan's strongly connected components: any component with two or more modules is a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
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
                cycles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            strong(module)
    assert not cycles, f"import cycles: {cycles}"


def test_subpackages_do_not_import_the_top_level_package() -> None:
    """``from crashdb import x`` inside the package would make every module depend on all."""
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.parent == SRC and path.name == "__init__.py":
            continue
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "crashdb" and node.level == 0:
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert not offenders, offenders
