"""Runs of the TeamUp warehouse: the library behind the `teamup-etl` command."""
