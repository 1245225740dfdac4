"""docs/tables.md lists the tables, views and columns exactly as sql/'s descriptions do."""

from __future__ import annotations

from pathlib import Path

import yaml

from pipelines.warehouse.tables_doc import DOC, generated, rewrite

SQL = Path(__file__).resolve().parents[3] / "sql"


def test_docs_tables_md_is_what_the_descriptions_generate():
    text = DOC.read_text(encoding="utf-8")
    assert rewrite(text, generated()) == text, "run `make docs` and commit docs/tables.md"


def test_every_model_and_every_column_it_declares_is_in_the_docs():
    # read apart from the generator: each .yml's view and columns appear under its heading
    text = DOC.read_text(encoding="utf-8")
    for path in sorted(SQL.glob("*/*.yml")):
        schema = {"staging": "teamup_staging", "marts": "teamup_marts"}[path.parent.name]
        heading = f"#### `{schema}.{path.stem}`"
        assert heading in text, heading
        part = text.split(heading, 1)[1].split("#### ", 1)[0]
        for column in yaml.safe_load(path.read_text())["columns"]:
            assert f"| `{column['name']}` | {column['type']} |" in part, (path.stem, column)
