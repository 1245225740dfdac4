-- Per due month, provider and purchase type: invoices whose payment failed against those
-- settled (paid or failed). Retrying ones are still in flight and shown apart.
with

invoices as (
    select * from teamup_staging.stg_invoices
),

-- credit notes are refunds' bookkeeping: nothing was collected from a card or a mandate
charged as (
    select *
    from invoices
    where not is_credit_note
),

counted as (
    select
        due_month as month,
        provider_id,
        purchase_type,
        count(*) filter (where status = 'paid') as paid_invoices,
        count(*) filter (where status in ('failed', 'retry_failed')) as failed_invoices,
        count(*) filter (where status = 'retrying') as retrying_invoices
    from charged
    group by due_month, provider_id, purchase_type
),

final as (
    select
        month,
        provider_id,
        purchase_type,
        paid_invoices,
        failed_invoices,
        retrying_invoices,
        -- A ratio, so DOUBLE PRECISION: 0.04 is 4%; null when nothing was settled that
        -- month. Cast first: PostgreSQL divides integers into an integer (0), DuckDB not.
        cast(failed_invoices as double precision)
            / nullif(paid_invoices + failed_invoices, 0) as failed_payment_rate
    from counted
    where paid_invoices + failed_invoices + retrying_invoices > 0
)

select * from final
