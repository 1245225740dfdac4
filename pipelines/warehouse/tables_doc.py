"""docs/tables.md's lists of tables, views and columns, generated from the descriptions in sql/.

`python -m pipelines.warehouse.tables_doc` rewrites them (`make docs`); a test holds the file
equal to what this generates, so the docs and the warehouse's comments never disagree.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .descriptions import SOURCES_FILE, Described, read_model, read_sources
from .models import LAYERS, MODELS_DIR

DOC = Path(__file__).resolve().parents[2] / "docs" / "tables.md"
BLOCK = re.compile(
    r"(<!-- generated from (?P<name>\w+) by pipelines/warehouse/tables_doc.py -->\n)"
    r".*?(<!-- end of generated (?P=name) -->)",
    re.S,
)


def described_tables(root: Path = MODELS_DIR) -> list[Described]:
    sources = read_sources(root, f"{root.name}/{SOURCES_FILE}")
    return list(sources.tables.values())


def described_views(root: Path = MODELS_DIR) -> list[Described]:
    return [
        read_model(path, schema, str(path))
        for layer, schema in reversed(LAYERS.items())  # marts first: what analysts query
        for path in sorted((root / layer).glob("*.sql"))
    ]


def section(described: Described) -> str:
    lines = [f"#### `{described.schema}.{described.name}`", "", described.description, ""]
    if described.grain:
        lines += ["Grain: " + ", ".join(f"`{g}`" for g in described.grain) + ".", ""]
    lines += ["| column | type | description |", "|---|---|---|"]
    lines += [f"| `{c.name}` | {c.type} | {_cell(c.description)} |" for c in described.columns]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")  # a pipe would end the table's cell


def generated(root: Path = MODELS_DIR) -> dict[str, str]:
    """Each block's text, by its name in the markers."""
    return {
        "tables": "\n".join(section(d) for d in described_tables(root)),
        "views": "\n".join(section(d) for d in described_views(root)),
    }


def rewrite(text: str, blocks: dict[str, str]) -> str:
    """The document with each marked block replaced by its generated text."""
    return BLOCK.sub(lambda m: m.group(1) + "\n" + blocks[m["name"]] + "\n" + m.group(3), text)


def main() -> int:
    text = DOC.read_text(encoding="utf-8")
    DOC.write_text(rewrite(text, generated()), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
