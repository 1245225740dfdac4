"""The benchmark's fixed conditions, shared by its runs and its targets."""

SEED = 7
LATENCY_SECONDS = 0.25  # the latency-bound run: each answer this late
RATE_LIMIT = 10  # the latency-bound run: requests per second, the sandbox's and the client's
TEAMUP_PER_MINUTE = 250  # docs.goteamup.com/api-reference/rate-limits
