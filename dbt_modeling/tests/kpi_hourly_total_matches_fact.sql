{#- kpi_hourly counts every play of the run date's fact_listens rows once (each play has one hour). -#}
{{ kpi_total_matches_fact(ref('kpi_hourly'), 'total_plays', ref('fact_listens')) }}
