-- Billed membership revenue per customer: one row per calendar month, provider, currency and
-- customer who had recurring revenue that month or the month before, and how it moved. A
-- customer's recurring revenue in a month is the sum of total_amount of their membership
-- invoices due that month (not credit notes, neither voided nor skipped); they are a member
-- when it is above zero. Months after the current one (reporting timezone) are left out.
with

invoices as (
    select * from teamup_staging.stg_invoices
),

-- The month of today in the reporting timezone: the session's TimeZone must not move it.
current_month as (
    select
        cast(date_trunc('month', current_timestamp at time zone {{ reporting_timezone }}) as date)
            as month
),

membership_invoices as (
    select
        due_month as month,
        provider_id,
        currency,
        customer_id,
        total_amount
    from invoices
    where purchase_type = 'membership'
        and not is_credit_note
        and status not in ('voided', 'skipped')
        and customer_id is not null
),

member_months as (
    select
        membership_invoices.month,
        membership_invoices.provider_id,
        membership_invoices.currency,
        membership_invoices.customer_id,
        sum(membership_invoices.total_amount) as mrr
    from membership_invoices
    inner join current_month
        on membership_invoices.month <= current_month.month
    group by
        membership_invoices.month,
        membership_invoices.provider_id,
        membership_invoices.currency,
        membership_invoices.customer_id
    having sum(membership_invoices.total_amount) > 0
),

-- Each member month beside the customer's member months before and after it.
with_neighbours as (
    select
        *,
        cast(month - interval '1 month' as date) as month_before,
        cast(month + interval '1 month' as date) as month_after,
        lag(month) over customer_months as previous_member_month,
        lag(mrr) over customer_months as previous_member_mrr,
        lead(month) over customer_months as next_member_month
    from member_months
    window customer_months as (partition by provider_id, currency, customer_id order by month)
),

member_rows as (
    select
        month,
        provider_id,
        currency,
        customer_id,
        cast(
            case
                when previous_member_month is null then 'new'
                when previous_member_month < month_before then 'reactivation'
                when mrr > previous_member_mrr then 'expansion'
                when mrr < previous_member_mrr then 'contraction'
                else 'unchanged'
            end as varchar
        ) as movement,
        cast(
            case when previous_member_month = month_before then previous_member_mrr else 0 end
            as decimal(38, 2)
        ) as previous_mrr,
        cast(mrr as decimal(38, 2)) as mrr
    from with_neighbours
),

-- A member with no recurring revenue the month after has churned in that month, once it came.
churn_rows as (
    select
        with_neighbours.month_after as month,
        with_neighbours.provider_id,
        with_neighbours.currency,
        with_neighbours.customer_id,
        cast('churn' as varchar) as movement,
        cast(with_neighbours.mrr as decimal(38, 2)) as previous_mrr,
        cast(0 as decimal(38, 2)) as mrr
    from with_neighbours
    inner join current_month
        on with_neighbours.month_after <= current_month.month
    where with_neighbours.next_member_month is null
        or with_neighbours.next_member_month > with_neighbours.month_after
),

customer_rows as (
    select * from member_rows
    union all
    select * from churn_rows
),

final as (
    select
        month,
        provider_id,
        currency,
        customer_id,
        movement,
        previous_mrr,
        mrr,
        mrr - previous_mrr as mrr_change
    from customer_rows
)

select * from final
