"""The layout the code promises: a pure exactness core, and no import cycles anywhere."""

from __future__ import annotations

import ast
import graphlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("sources", "pipelines", "sandbox", "bench")
# What the core may import besides the standard library: calendar arithmetic, its own
# modules and the source's constants.
CORE_ALLOWED = {"pendulum", "sources.teamup.settings"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Modules a file imports, those for type checking only included: a cycle there is a
    tangle of concerns all the same."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
    }


def test_no_module_imports_itself_back_through_others():
    modules = project_modules()
    graph = graphlib.TopologicalSorter()
    for name, path in modules.items():
        # A module's own packages are imported before it anyway: no edge back to them.
        ancestors = {name.rsplit(".", n)[0] for n in range(1, name.count(".") + 1)}
        graph.add(name, *(m for m in imports_of(path) if m in modules.keys() - {name, *ancestors}))
    try:
        graph.prepare()
    except graphlib.CycleError as cycle:
        pytest.fail(f"import cycle: {' -> '.join(cycle.args[1])}")


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "sources" / "teamup" / "exactness").glob("*.py")),
    ids=lambda path: path.name,
)
def test_the_exactness_core_imports_no_http_sql_or_dlt(path):
    core = "sources.teamup.exactness"
    foreign = {
        imported
        for imported in imports_of(path)
        if not imported.startswith(core)
        and imported.split(".")[0] not in sys.stdlib_module_names
        and not any(imported == ok or imported.startswith(ok + ".") for ok in CORE_ALLOWED)
        and imported != "__future__"
    }
    assert foreign == set()


# The source's packages, lowest first: each imports only those before it (and the modules at
# the source's top), so the records of a batch never reach back into the refresh that made it.
SOURCE = "sources.teamup"
SOURCE_LAYERS = ("exactness", "api", "records", "refresh")


@pytest.mark.parametrize("layer", SOURCE_LAYERS)
def test_the_source_s_packages_import_only_those_below_them(layer):
    above = SOURCE_LAYERS[SOURCE_LAYERS.index(layer) + 1 :]
    upward = {
        f"{module_name(path)} imports {imported}"
        for path in sorted((ROOT / "sources" / "teamup" / layer).glob("*.py"))
        for imported in imports_of(path)
        if any(imported.startswith(f"{SOURCE}.{higher}") for higher in above)
    }
    assert not upward, "; ".join(sorted(upward))
