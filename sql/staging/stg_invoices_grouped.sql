-- One row per group of TeamUp's grouped invoice report: invoice counts, no money.
select
    group_key,
    provider_id,
    customer_id,
    purchased_item_id,
    purchased_item_name,
    status,
    purchase_type,
    payment_processor,
    purchase_fee_type,
    due_month,
    -- TeamUp reports the payment month as two integers, already in the provider's own
    -- timezone; as the first day of that month it joins and sorts like due_month.
    -- Null while unpaid (make_date of nulls is null). Cast to INTEGER: PostgreSQL's
    -- make_date takes no BIGINT.
    make_date(cast(payment_year as integer), cast(payment_month as integer), 1) as payment_month,
    -- the same for the month the processor paid the money out; null without a payout
    make_date(cast(payout_year as integer), cast(payout_month as integer), 1) as payout_month,
    invoice_count
from teamup.invoices_grouped
