-- One row per customer seen in the grouped report.
select
    provider_id,
    id as customer_id,
    name as customer_name,
    email as customer_email
from teamup.customers
