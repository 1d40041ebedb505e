{#- kpi_genre_daily counts every play of the run date's fact_listens rows once (each play has one genre,
    `unknown` when its track is). -#}
{{ kpi_total_matches_fact(ref('kpi_genre_daily'), 'listen_count', ref('fact_listens')) }}
