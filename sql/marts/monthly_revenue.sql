-- Revenue per calendar month (reporting timezone), provider and currency: paid invoices and
-- their totals by the month of paid_at, refunds by the month of refund_date, net = gross - refunds.
with

revenue_by_purchase_type as (
    select * from teamup_marts.revenue_by_purchase_type
),

final as (
    select
        month,
        provider_id,
        currency,
        -- sum() of BIGINT is HUGEINT in DuckDB, NUMERIC in PostgreSQL; a count fits BIGINT
        cast(sum(paid_invoices) as bigint) as paid_invoices,
        sum(gross_revenue) as gross_revenue,
        sum(refunds) as refunds,
        sum(net_revenue) as net_revenue
    from revenue_by_purchase_type
    group by month, provider_id, currency
)

select * from final
