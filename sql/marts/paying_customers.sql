-- Customers with at least one paid invoice per calendar month (reporting timezone) and
-- provider, and how many of them paid for the first time.
with

invoices as (
    select * from teamup_staging.stg_invoices
),

-- credit notes are refunds' bookkeeping, not a customer paying
payments as (
    select
        paid_month as month,
        provider_id,
        customer_id
    from invoices
    where status = 'paid'
        and not is_credit_note
        and customer_id is not null
),

first_payments as (
    select
        provider_id,
        customer_id,
        min(month) as first_paid_month
    from payments
    group by provider_id, customer_id
),

final as (
    select
        payments.month,
        payments.provider_id,
        count(distinct payments.customer_id) as paying_customers,
        count(distinct payments.customer_id) filter (
            where payments.month = first_payments.first_paid_month
        ) as new_paying_customers
    from payments
    inner join first_payments
        on first_payments.provider_id = payments.provider_id
        and first_payments.customer_id = payments.customer_id
    group by payments.month, payments.provider_id
)

select * from final
