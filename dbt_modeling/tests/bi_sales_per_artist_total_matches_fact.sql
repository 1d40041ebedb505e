{#- The BI view sales_per_artist_vw sells exactly what the fact table sold, in the years this run loaded. -#}
{{ view_sales_match_fact(ref('sales_per_artist_vw'), 'total_sales', 'year') }}
