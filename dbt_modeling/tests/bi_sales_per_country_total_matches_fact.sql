{#- The BI view sales_per_country_vw sells exactly what the fact table sold, in the months this run loaded. -#}
{{ view_sales_match_fact(ref('sales_per_country_vw'), 'total_sales', 'month') }}
