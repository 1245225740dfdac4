"""Constants of the TeamUp source: endpoints, columns, paging and refresh defaults."""

DEFAULT_BASE_URL = "https://goteamup.com/api/v2"
GROUPED_ENDPOINT = "reports/invoices.grouped/data"
INVOICES_ENDPOINT = "reports/invoices/data"

# The API's maximum page size; fewer, fuller pages keep us far from the rate limit.
PAGE_SIZE = 100
# Customer ids per request when re-fetching changed partitions: keeps the URL under ~2 KB.
MAX_CUSTOMERS_PER_REQUEST = 200
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
# The refresh unit needs the due month in every grouping, whatever the configured list says.
PARTITION_MONTH_COLUMNS = ("due_date_year", "due_date_month")
CUSTOMER_COLUMNS = ("customer", "customer_id", "customer.id")
# Aliases the API accepts, reduced to the key the column_headers report (dot-notation).
COLUMN_ALIASES = {
    "customer_id": "customer.id",
    "customer_name": "customer.name",
    "customer_email": "customer.email",
}

# Incremental window: [watermark - overlap, server time - lag]. The overlap re-reads a margin
# before the watermark (late commits on the API's side); the lag leaves out the last moments,
# which may still be filling up. Both cost only a few re-fetched partitions.
DEFAULT_OVERLAP_SECONDS = 600
DEFAULT_LAG_SECONDS = 60

# provider_id stored when no TeamUp-Provider-ID is configured: the token's only provider.
DEFAULT_PROVIDER = 0
