-- Paid invoices per payment month, provider, purchase type and payment processor, from the
-- grouped report; its payment months are in the provider's own timezone, as TeamUp reports them.
with

invoice_groups as (
    select * from teamup_staging.stg_invoices_grouped
),

paid_groups as (
    select *
    from invoice_groups
    where status = 'paid'
        and payment_month is not null
),

final as (
    select
        payment_month as month,
        provider_id,
        purchase_type,
        payment_processor,
        -- sum() of BIGINT is HUGEINT in DuckDB, NUMERIC in PostgreSQL; a count fits BIGINT
        cast(sum(invoice_count) as bigint) as paid_invoice_count
    from paid_groups
    group by payment_month, provider_id, purchase_type, payment_processor
)

select * from final
