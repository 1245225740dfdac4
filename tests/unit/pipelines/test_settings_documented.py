"""docs/configuration.md and .dlt/config.toml held to the settings' one declaration."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from dlt.common.configuration.specs import BaseConfiguration

from pipelines.settings import EtlSettings, ModelSettings

ROOT = Path(__file__).resolve().parents[3]
DOCS = ROOT / "docs" / "configuration.md"
CONFIG = ROOT / ".dlt" / "config.toml"
SPECS: tuple[type[BaseConfiguration], ...] = (EtlSettings, ModelSettings)
# Defaults the table states in words: None stands for a value worked out at run time.
WORDED = {"log_file": "unset", "analyst_copy": "`<working file>_analyst.duckdb` beside it"}
# Values .dlt/config.toml sets on purpose apart from the spec's default (none so far).
OVERRIDES: dict[tuple[str, str], Any] = {}


def fields() -> dict[str, tuple[type[BaseConfiguration], str]]:
    """Every setting of the specs by its environment variable."""
    return {
        f"{spec.__section__}__{key}".upper(): (spec, key)
        for spec in SPECS
        for key in spec.get_resolvable_fields()
    }


def documented_defaults() -> dict[str, str]:
    """docs/configuration.md's table: each variable's default cell (a row naming several
    variables gives a value each, comma-separated, in order, or one for all)."""
    table = DOCS.read_text(encoding="utf-8").split("## Settings", 1)[1].split("\n## ", 1)[0]
    found: dict[str, str] = {}
    for row in (line for line in table.splitlines() if line.startswith("| `")):
        names_cell, default_cell = row.split("|")[1:3]
        names = re.findall(r"`([A-Z][A-Z0-9_]*)`", names_cell)
        defaults = default_cell.strip().split(", ")
        if len(defaults) != len(names):
            defaults = [default_cell.strip()] * len(names)
        found.update(zip(names, defaults, strict=True))
    return found


def shown(value: Any) -> str:
    """A default as the table shows it: `300`, `0.25`, `64MB`."""
    return f"`{value:g}`" if isinstance(value, float) else f"`{value}`"


@pytest.mark.parametrize("variable", list(fields()))
def test_every_setting_is_documented_with_the_specs_default(variable):
    spec, key = fields()[variable]
    default = spec().__dataclass_fields__[key].default
    documented = documented_defaults()
    assert variable in documented, f"{variable} is missing from docs/configuration.md"
    if default is None:
        assert documented[variable].startswith(WORDED[key])
    else:
        assert documented[variable] == shown(default)


def test_nothing_is_documented_in_our_sections_that_the_specs_lack():
    ours = {name for name in documented_defaults() if name.startswith(("TEAMUP_ETL__", "MODELS__"))}
    assert ours - fields().keys() == set()


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.__section__)
def test_config_toml_sets_each_setting_to_its_default(spec):
    section = str(spec.__section__)
    given = tomllib.loads(CONFIG.read_text(encoding="utf-8")).get(section, {})
    defaults = spec()
    assert given.keys() <= set(spec.get_resolvable_fields()), "a key the spec does not declare"
    for key, value in given.items():
        expected = OVERRIDES.get((section, key), getattr(defaults, key))
        assert value == expected, f"[{section}] {key} = {value!r}, the spec says {expected!r}"


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.__section__)
def test_config_tomls_commented_examples_are_settings_that_exist(spec):
    text = CONFIG.read_text(encoding="utf-8").split(f"[{spec.__section__}]\n", 1)[1]
    section = text.split("\n[", 1)[0]
    examples = re.findall(r"^#\s*([a-z_]+)\s*=", section, flags=re.MULTILINE)
    assert set(examples) <= set(spec.get_resolvable_fields())
