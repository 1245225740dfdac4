-- Per due month, provider and currency: what was billed, what of it is paid, and the share
-- collected. Billed means every invoice except credit notes and those not owed: voided and
-- skipped ones, and upcoming ones (scheduled, not issued yet).
with

invoices as (
    select * from teamup_staging.stg_invoices
),

billed as (
    select *
    from invoices
    where not is_credit_note
        and status not in ('voided', 'skipped', 'upcoming')
),

final as (
    select
        due_month as month,
        provider_id,
        currency,
        count(*) as billed_invoices,
        count(*) filter (where status = 'paid') as paid_invoices,
        sum(total_amount) as billed_amount,
        coalesce(sum(total_amount) filter (where status = 'paid'), 0) as paid_amount,
        coalesce(sum(total_amount) filter (where status <> 'paid'), 0) as unpaid_amount,
        -- A ratio, not money, so DOUBLE PRECISION on every warehouse (DuckDB's DECIMAL
        -- division gives a DOUBLE, PostgreSQL's a NUMERIC): 0.97 is 97%. Null when nothing
        -- was billed for money (every invoice in the month totals zero).
        cast(coalesce(sum(total_amount) filter (where status = 'paid'), 0) as double precision)
            / nullif(cast(sum(total_amount) as double precision), 0) as collection_rate
    from billed
    group by due_month, provider_id, currency
)

select * from final
