{#- The BI view hourly_kpis_vw sells exactly what the fact table sold, on the sale dates this run loaded. -#}
{{ view_sales_match_fact(ref('hourly_kpis_vw'), 'revenue', 'day') }}
