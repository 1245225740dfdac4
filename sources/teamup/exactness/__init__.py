"""The exactness core: a run's decisions, pure functions of plain values (no HTTP, SQL, dlt)."""

# What makes a run exact is small: the checksum (checksum.py) projected against what the
# warehouse will hold, and every month still off it refreshed whole. Everything else here
# (partitions.touched_partitions, fetch_plan, cells, bisect) only chooses what to fetch
# before that fallback: a wrong guess there costs requests, never exactness.
