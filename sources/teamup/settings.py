"""Constants of the TeamUp source: endpoints, columns, paging and refresh defaults."""

DEFAULT_BASE_URL = "https://goteamup.com/api/v2"
GROUPED_ENDPOINT = "reports/invoices.grouped/data"
INVOICES_ENDPOINT = "reports/invoices/data"

# The API's maximum page size; fewer, fuller pages keep us far from the rate limit.
PAGE_SIZE = 100
# Customer ids per request when re-fetching changed partitions: keeps the URL under ~2 KB.
MAX_CUSTOMERS_PER_REQUEST = 200
# Rows of one query held in memory; later pages wait in a temporary file (spool.py), and
# months are handed on in batches of this many rows: a run's memory does not grow with the
# account. 500 rows is 5 pages: most nightly queries never touch the disk.
ROWS_IN_MEMORY = 500
# Attempts at a whole paged query whose `total` moved or whose pages came back inconsistent.
QUERY_ATTEMPTS = 3

# Attribute columns of the grouped report loaded by default: every documented one.
# `customer` (the nested object) brings id, name and email in one go; the table keeps only
# customer_id, the rest goes to `customers`.
DEFAULT_GROUPED_COLUMNS = (
    "status",
    "customer",
    "purchase_type",
    "payment_processor",
    "due_date_year",
    "due_date_month",
    "payment_year",
    "payment_month",
    "payout_year",
    "payout_month",
    "purchased_item",
    "purchase_fee_type",
)
# The values the API docs list (shared/teamup-api: the grouped report's `status` and the
# `purchase_types` filter). What the API sends outside them loads as it comes and is named in
# the run's warning line; what we send never leaves them (a `status=` filter of another
# value could be refused as invalid: such a cell's month is refreshed whole instead). The docs
# list no payment processor names and no fee types.
DOCUMENTED_STATUSES = frozenset(
    {
        "open",
        "paid",
        "pending_offline",
        "pending_online",
        "failed",
        "voided",
        "upcoming",
        "skipped",
        "retrying",
        "retry_failed",
    }
)
DOCUMENTED_PURCHASE_TYPES = frozenset({"class", "course", "course_session", "membership", "store"})
# The grouped report's documented columns (as column_headers key them): another one is new.
DOCUMENTED_GROUPED_KEYS = frozenset(
    {
        "status",
        "customer",
        "customer.id",
        "customer.name",
        "customer.email",
        "purchase_type",
        "payment_processor",
        "due_date_month",
        "due_date_year",
        "payment_month",
        "payment_year",
        "payout_month",
        "payout_year",
        "purchased_item",
        "purchase_fee_type",
        "count",
    }
)
# The refresh unit needs the due month in every grouping, whatever the configured list says.
PARTITION_MONTH_COLUMNS = ("due_date_year", "due_date_month")
CUSTOMER_COLUMNS = ("customer", "customer_id", "customer.id")
# Aliases the API accepts, reduced to the key the column_headers report (dot-notation).
COLUMN_ALIASES = {
    "customer_id": "customer.id",
    "customer_name": "customer.name",
    "customer_email": "customer.email",
}

# Incremental window: [watermark - overlap, the API's clock + its 1 s resolution]. The overlap
# re-reads a margin before the watermark (commits the API stamps late), at the cost of a few
# re-fetched partitions. A lag would leave the last `lag` seconds to the next run; 0: a load
# reflects every change the API shows when it starts (exactness/window.py).
DEFAULT_OVERLAP_SECONDS = 600
DEFAULT_LAG_SECONDS = 0

# The client-side rate limit: at most rate x window requests in any window, 240 a minute under
# TeamUp's 250 (why: docs/configuration.md, "The rate limit").
DEFAULT_MAX_REQUESTS_PER_SECOND = 4.0
DEFAULT_RATE_LIMIT_WINDOW_SECONDS = 60.0
# Queries asked at once (months of a full load or backfill, partition fetches, listings):
# enough to keep a latency-bound link busy under the rate limit, few enough to keep memory
# (each query's rows are held until its batch is yielded) and TeamUp's load small.
DEFAULT_MAX_PARALLEL_REQUESTS = 4
# Load jobs as JSON lines, which DuckDB reads natively (read_json), rather than dlt's default
# for DuckDB, INSERT statements, which DuckDB parses several times slower and with gigabytes
# of memory for a large load. DuckDB infers each file's columns from its first 20,480 rows,
# so a file must hold fewer: [data_writer] file_max_items in .dlt/config.toml sees to it.
DEFAULT_LOADER_FILE_FORMAT = "jsonl"
# What dlt writes without extra dependencies (parquet would need pyarrow); csv for PostgreSQL.
LOADER_FILE_FORMATS = ("jsonl", "insert_values", "csv")
# Unless loader_file_format is set, each destination's fastest: PostgreSQL loads CSV with COPY
# (dlt would warn of jsonl on every table of every load, then use INSERT statements).
PREFERRED_FILE_FORMATS = {"duckdb": "jsonl", "motherduck": "jsonl", "postgres": "csv"}

# provider_id stored when no TeamUp-Provider-ID is configured: the token's only provider.
DEFAULT_PROVIDER = 0

# The tables the source loads, in the order a run's batches feed them.
GROUPED_TABLE = "invoices_grouped"
INVOICES_TABLE = "invoices"
TABLES = (GROUPED_TABLE, "customers", "report_columns", INVOICES_TABLE)
# The tables whose watermarks the source keeps in its state (state.py).
WATERMARKED_TABLES = (GROUPED_TABLE, INVOICES_TABLE)
