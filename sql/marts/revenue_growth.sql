-- Month-over-month change in net revenue per provider and currency, every calendar month from
-- the first to the last with revenue (a month without any counts as zero).
with

monthly_revenue as (
    select * from teamup_marts.monthly_revenue
),

month_bounds as (
    select
        provider_id,
        currency,
        min(month) as first_month,
        max(month) as last_month
    from monthly_revenue
    group by provider_id, currency
),

-- Every month in between, so "the previous month" is the calendar's, not the previous row's.
month_spine as (
    select
        month_bounds.provider_id,
        month_bounds.currency,
        -- generate_series of TIMESTAMPs, not DATEs: PostgreSQL has no DATE series and would
        -- pick the TIMESTAMPTZ one, which steps in the session's TimeZone
        cast(months.month as date) as month
    from month_bounds
    cross join lateral generate_series(
        cast(month_bounds.first_month as timestamp),
        cast(month_bounds.last_month as timestamp),
        interval '1 month'
    ) as months (month)
),

monthly_net as (
    select
        month_spine.month,
        month_spine.provider_id,
        month_spine.currency,
        coalesce(monthly_revenue.net_revenue, 0) as net_revenue
    from month_spine
    left join monthly_revenue
        on monthly_revenue.month = month_spine.month
        and monthly_revenue.provider_id = month_spine.provider_id
        and monthly_revenue.currency = month_spine.currency
),

with_previous as (
    select
        *,
        lag(net_revenue) over (
            partition by provider_id, currency order by month
        ) as previous_net_revenue
    from monthly_net
),

final as (
    select
        month,
        provider_id,
        currency,
        net_revenue,
        previous_net_revenue,
        net_revenue - previous_net_revenue as net_revenue_change,
        -- A ratio, not money, so DOUBLE PRECISION on every warehouse (DuckDB's DECIMAL
        -- division gives a DOUBLE, PostgreSQL's a NUMERIC): 0.125 is +12.5%. Over the
        -- previous month's absolute value, so a rise out of a negative month (more refunds
        -- than payments) is still positive; null after a month of zero.
        cast(net_revenue - previous_net_revenue as double precision)
            / nullif(abs(cast(previous_net_revenue as double precision)), 0)
            as net_revenue_growth
    from with_previous
)

select * from final
