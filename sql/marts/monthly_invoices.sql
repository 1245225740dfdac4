-- Invoices per due month, provider, status and purchase type, as TeamUp's grouped report
-- counts them (credit notes included: the grouped report cannot tell them apart).
with

invoice_groups as (
    select * from teamup_staging.stg_invoices_grouped
),

final as (
    select
        due_month as month,
        provider_id,
        status,
        purchase_type,
        -- sum() of BIGINT is HUGEINT in DuckDB, NUMERIC in PostgreSQL; a count fits BIGINT
        cast(sum(invoice_count) as bigint) as invoice_count
    from invoice_groups
    group by due_month, provider_id, status, purchase_type
)

select * from final
