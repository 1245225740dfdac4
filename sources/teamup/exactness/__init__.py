"""The exactness core: a run's decisions, pure functions of plain values (no HTTP, SQL, dlt)."""

# What makes a run exact: every partition a change in the updated_at window touched is
# fetched again (partitions.touched_partitions names them; fetch_plan covers them all), and
# what no window shows is caught by the checksum (checksum.py): a month whose projected
# counts differ from the API's is refreshed whole. The rest (how fetch_plan groups requests,
# cells and bisect searching for lost invoices) only saves requests: a wrong guess there
# leaves a month off the checksum, and that month is refreshed whole.
