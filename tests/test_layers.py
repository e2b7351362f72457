"""The package's shape: imports go one way through the pipeline, and no module imports itself round.

Layers, lowest first. A module may import its own layer and the ones below, never one above; imports
inside functions count, since they are how a cycle hides.
"""

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LAYERS = (
    # What every stage shares; `connectors` here is the registry module alone (`connectors/__init__.py`).
    ("docaudit", "docaudit.records", "docaudit.errors", "docaudit.config", "docaudit.sections", "docaudit.retry",
     "docaudit.text", "docaudit.yamlfile", "docaudit.owners", "connectors"),
    ("docaudit.currency",),  # how a doc's time is read: used while crawling and while auditing
    ("connectors.",),  # the connectors themselves
    ("docaudit.index",),
    ("docaudit.probing",),
    ("docaudit.rules",),
    ("docaudit.audit", "docaudit.result", "docaudit.suppress", "docaudit.locate"),
    ("docaudit.reports", "docaudit.digests"),
    ("docaudit.cli", "docaudit.cli_options", "docaudit.cli_plan", "docaudit.clidoc", "docaudit.__main__"),
)  # fmt: skip


def modules() -> dict[str, Path]:
    found = {}
    for path in [*ROOT.glob("docaudit/**/*.py"), *ROOT.glob("connectors/**/*.py")]:
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        found[name] = path
    return found


def layer_of(module: str) -> int:
    best, depth = None, -1
    for number, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            matches = (
                module.startswith(prefix)
                if prefix.endswith(".")
                else module == prefix or module.startswith(prefix + ".")
            )
            if matches and len(prefix) > depth:
                best, depth = number, len(prefix)
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return best


def imports(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    """Module -> the modules it imports (a submodule's import of its own package's `__init__` aside)."""
    known = modules()
    return {
        module: {t for t in imports(module, path, known) if t != module.rpartition(".")[0]}
        for module, path in known.items()
    }


def test_no_import_goes_up_the_pipeline():
    upward = [
        f"{a} (layer {layer_of(a)}) imports {b} (layer {layer_of(b)})"
        for a, targets in graph().items()
        for b in sorted(targets)
        if layer_of(b) > layer_of(a)
    ]
    assert upward == []


def test_no_import_cycle():
    try:
        TopologicalSorter(graph()).prepare()
    except CycleError as cycle:
        raise AssertionError(f"import cycle: {' -> '.join(cycle.args[1])}") from None


def test_the_check_sees_imports_inside_functions_and_relative_ones():
    known = modules()
    assert "docaudit.index.store" in imports("docaudit.audit", known["docaudit.audit"], known)
    assert "docaudit.rules.registry" in imports("docaudit.rules.upkeep", known["docaudit.rules.upkeep"], known)
    # audit imports NLI only inside a function, when a model is configured
    assert "docaudit.rules.nli" in imports("docaudit.audit", known["docaudit.audit"], known)


def test_no_module_past_400_lines_and_the_cli_within_250():
    """Past that a module usually does two things: split it along them."""
    sizes = {module: len(path.read_text().splitlines()) for module, path in modules().items()}
    assert {m: n for m, n in sizes.items() if n > 400} == {}
    assert sizes["docaudit.cli"] <= 250
