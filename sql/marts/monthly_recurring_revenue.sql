-- Billed membership revenue (MRR) per calendar month, provider and currency, and its movements
-- from the month before: every month from the first with recurring revenue through the
-- current month (reporting timezone), a month without members included.
with

customer_recurring_revenue as (
    select * from teamup_marts.customer_recurring_revenue
),

current_month as (
    select
        cast(date_trunc('month', current_timestamp at time zone {{ reporting_timezone }}) as date)
            as month
),

first_months as (
    select
        provider_id,
        currency,
        min(month) as first_month
    from customer_recurring_revenue
    group by provider_id, currency
),

-- Every month from the first through the current one, so a month where everyone churned
-- still has its row.
month_spine as (
    select
        first_months.provider_id,
        first_months.currency,
        -- generate_series of TIMESTAMPs, not DATEs: PostgreSQL has no DATE series and would
        -- pick the TIMESTAMPTZ one, which steps in the session's TimeZone
        cast(months.month as date) as month
    from first_months
    cross join current_month
    cross join lateral generate_series(
        cast(first_months.first_month as timestamp),
        cast(current_month.month as timestamp),
        interval '1 month'
    ) as months (month)
),

monthly_movements as (
    select
        month,
        provider_id,
        currency,
        count(*) filter (where mrr > 0) as members,
        sum(mrr) as mrr,
        count(*) filter (where movement = 'new') as new_members,
        sum(mrr) filter (where movement = 'new') as new_mrr,
        count(*) filter (where movement = 'reactivation') as reactivated_members,
        sum(mrr) filter (where movement = 'reactivation') as reactivation_mrr,
        sum(mrr_change) filter (where movement = 'expansion') as expansion_mrr,
        -sum(mrr_change) filter (where movement = 'contraction') as contraction_mrr,
        count(*) filter (where movement = 'churn') as churned_members,
        sum(previous_mrr) filter (where movement = 'churn') as churned_mrr
    from customer_recurring_revenue
    group by month, provider_id, currency
),

final as (
    select
        month_spine.month,
        month_spine.provider_id,
        month_spine.currency,
        coalesce(monthly_movements.members, 0) as members,
        coalesce(monthly_movements.mrr, 0) as mrr,
        coalesce(monthly_movements.new_members, 0) as new_members,
        coalesce(monthly_movements.new_mrr, 0) as new_mrr,
        coalesce(monthly_movements.reactivated_members, 0) as reactivated_members,
        coalesce(monthly_movements.reactivation_mrr, 0) as reactivation_mrr,
        coalesce(monthly_movements.expansion_mrr, 0) as expansion_mrr,
        coalesce(monthly_movements.contraction_mrr, 0) as contraction_mrr,
        coalesce(monthly_movements.churned_members, 0) as churned_members,
        coalesce(monthly_movements.churned_mrr, 0) as churned_mrr
    from month_spine
    left join monthly_movements
        on monthly_movements.month = month_spine.month
        and monthly_movements.provider_id = month_spine.provider_id
        and monthly_movements.currency = month_spine.currency
)

select * from final
