-- What customers owe today (the reporting timezone's date), per provider, currency and age:
-- invoices still to be paid (open, failed, retrying, retry_failed, pending offline or online),
-- not credit notes, due on or before today, by whole days past their due date. Each
-- provider and currency with invoices has all four age buckets, zero where nothing is owed.
with

invoices as (
    select * from teamup_staging.stg_invoices
),

today as (
    select cast(current_timestamp at time zone {{ reporting_timezone }} as date) as day
),

age_buckets as (
    select cast(bucket as varchar) as age_bucket
    from (values ('0-30'), ('31-60'), ('61-90'), ('91+')) as buckets (bucket)
),

owed as (
    select
        invoices.provider_id,
        invoices.currency,
        invoices.invoice_id,
        invoices.customer_id,
        invoices.total_amount,
        -- DATE minus DATE is whole days on both warehouses
        today.day - invoices.due_date as days_past_due
    from invoices
    inner join today
        on invoices.due_date <= today.day
    where invoices.status in (
            'open', 'failed', 'retrying', 'retry_failed', 'pending_offline', 'pending_online'
        )
        and not invoices.is_credit_note
),

aged as (
    select
        *,
        case
            when days_past_due <= 30 then '0-30'
            when days_past_due <= 60 then '31-60'
            when days_past_due <= 90 then '61-90'
            else '91+'
        end as age_bucket
    from owed
),

bucketed as (
    select
        provider_id,
        currency,
        age_bucket,
        count(*) as invoices,
        count(distinct customer_id) as customers,
        sum(total_amount) as amount_due
    from aged
    group by provider_id, currency, age_bucket
),

-- Every bucket for each provider and currency that has invoices at all.
grid as (
    select distinct
        invoices.provider_id,
        invoices.currency,
        age_buckets.age_bucket
    from invoices
    cross join age_buckets
),

final as (
    select
        grid.provider_id,
        grid.currency,
        grid.age_bucket,
        coalesce(bucketed.invoices, 0) as invoices,
        coalesce(bucketed.customers, 0) as customers,
        coalesce(bucketed.amount_due, 0) as amount_due
    from grid
    left join bucketed
        on bucketed.provider_id = grid.provider_id
        and bucketed.currency = grid.currency
        and bucketed.age_bucket = grid.age_bucket
)

select * from final
