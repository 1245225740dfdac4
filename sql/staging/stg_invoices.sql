-- One row per invoice from TeamUp's invoice-level report, credit notes included.
select
    id as invoice_id,
    provider_id,
    customer_id,
    refunded_invoice_id,
    number as invoice_number,
    status,
    purchase_type,
    payment_processor,
    is_credit_note,
    -- ISO 4217 codes are upper case; the API writes them lower ('gbp'). Cast back to
    -- VARCHAR: PostgreSQL's upper() returns TEXT, and the column's type is a contract.
    cast(upper(currency) as varchar) as currency,
    due_date,
    due_month,
    confirmed_at,
    paid_at,
    updated_at,
    refund_date,
    -- The calendar month of the payment in the reporting timezone. AT TIME ZONE turns the
    -- TIMESTAMPTZ into that zone's wall-clock TIMESTAMP first: date_trunc on the TIMESTAMPTZ
    -- itself would follow the querying session's TimeZone, and an analyst in New York would
    -- see other months than one in London.
    cast(date_trunc('month', paid_at at time zone {{ reporting_timezone }}) as date) as paid_month,
    -- refund_date is a calendar date as TeamUp reports it: its month needs no timezone
    cast(date_trunc('month', refund_date) as date) as refund_month,
    -- Money stays DECIMAL(18,2) end to end: the casts pin the contract the marts' exact
    -- sums rely on (sums of DECIMAL(18,2) are DECIMAL(38,2); a DOUBLE would lose cents).
    cast(total_amount as decimal(18, 2)) as total_amount,
    cast(subtotal_amount as decimal(18, 2)) as subtotal_amount,
    cast(discount_amount as decimal(18, 2)) as discount_amount,
    cast(tax_amount as decimal(18, 2)) as tax_amount,
    cast(credit_amount as decimal(18, 2)) as credit_amount,
    cast(adjustment_amount as decimal(18, 2)) as adjustment_amount,
    cast(expected_payment_amount as decimal(18, 2)) as expected_payment_amount,
    cast(refund_amount as decimal(18, 2)) as refund_amount
from teamup.invoices
