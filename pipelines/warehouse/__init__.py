"""The warehouse: its dlt destination and pipeline, the DuckDB file, the models, run history."""
