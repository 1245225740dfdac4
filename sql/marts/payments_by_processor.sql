-- Money taken and refunded per calendar month (reporting timezone), provider, currency and
-- payment processor, as each processor's statement shows it: payments by the month of
-- paid_at, refunds by the month of refund_date through the processor that took the payment.
with

invoices as (
    select * from teamup_staging.stg_invoices
),

-- credit notes are the refunds' bookkeeping, counted once through refund_amount below
payments as (
    select
        paid_month as month,
        provider_id,
        currency,
        payment_processor,
        true as is_payment,
        total_amount as gross_amount,
        cast(0 as decimal(18, 2)) as refund_amount
    from invoices
    where status = 'paid'
        and not is_credit_note
),

refunds as (
    select
        refund_month as month,
        provider_id,
        currency,
        payment_processor,
        false as is_payment,
        cast(0 as decimal(18, 2)) as gross_amount,
        refund_amount
    from invoices
    where refund_date is not null
        and not is_credit_note
),

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
        payment_processor,
        count(*) filter (where is_payment) as payments,
        sum(gross_amount) as gross_amount,
        sum(refund_amount) as refunds,
        sum(gross_amount) - sum(refund_amount) as net_amount
    from money_events
    group by month, provider_id, currency, payment_processor
)

select * from final
