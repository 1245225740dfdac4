-- Money in and out per calendar month (reporting timezone), provider, currency and purchase
-- type: the definitions behind monthly_revenue, which adds the purchase types up.
with

invoices as (
    select * from teamup_staging.stg_invoices
),

-- A payment counts in the month of paid_at; credit notes are the refunds' bookkeeping
-- (negative totals) and are counted once, through refund_amount below.
payments as (
    select
        paid_month as month,
        provider_id,
        currency,
        purchase_type,
        true as is_payment,
        total_amount as gross_amount,
        cast(0 as decimal(18, 2)) as refund_amount
    from invoices
    where status = 'paid'
        and not is_credit_note
),

-- A refund counts in the month of its refund_date, whatever month the payment was in.
refunds as (
    select
        refund_month as month,
        provider_id,
        currency,
        purchase_type,
        false as is_payment,
        cast(0 as decimal(18, 2)) as gross_amount,
        refund_amount
    from invoices
    where refund_date is not null
        and not is_credit_note
),

-- One stream of money events, so a month with only refunds still gets its row.
money_events as (
    select * from payments
    union all
    select * from refunds
),

final as (
    select
        month,
        provider_id,
        currency,
        purchase_type,
        count(*) filter (where is_payment) as paid_invoices,
        sum(gross_amount) as gross_revenue,
        sum(refund_amount) as refunds,
        sum(gross_amount) - sum(refund_amount) as net_revenue
    from money_events
    group by month, provider_id, currency, purchase_type
)

select * from final
