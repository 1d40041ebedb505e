{#- Per listen date and genre (the play's artist's dim_artists.genre; `unknown` when the track is not in
    dim_songs): plays, the average duration and popularity over the plays of known tracks (a track's
    popularity is 100 * artist_hotttnesss of its catalog row, 0..100: dim_artists carries the catalog's
    artist_hotttnesss, which the catalog repeats on every row of an artist; a track sold outside the catalog
    has no catalog row, so no popularity), popularity_index = listen_count * avg_popularity / 100, and the
    genre's most played known track (ties to the smaller track id). By ids; names in genre_daily_vw. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='run_date',
    unique_key=['listen_date', 'genre'],
    run_date_column='listen_date',
    run_date_only=true
) }}

with plays as (
  select
    facts.listen_date,
    facts.date_key,
    facts.track_id,
    facts.song_key,
    coalesce(artists.genre, 'unknown') as genre,
    songs.duration,
    case when songs.in_catalog then 100 * artists.artist_hotttnesss end as popularity
  from {{ ref('fact_listens') }} as facts
  left join {{ ref('dim_songs') }} as songs on songs.song_key = facts.song_key
  left join {{ ref('dim_artists') }} as artists on artists.artist_key = facts.artist_key
  where facts.listen_date = {{ run_date() }}
),

genres as (
  select
    listen_date,
    date_key,
    genre,
    count(*) as listen_count,
    {{ exact_avg('duration') }} as avg_track_duration_s,
    {{ exact_avg('popularity') }} as avg_popularity
  from plays
  group by listen_date, date_key, genre
),

track_plays as (
  select
    genre,
    track_id,
    song_key,
    count(*) as track_plays,
    row_number() over (partition by genre order by count(*) desc, track_id) as play_rank
  from plays
  where song_key is not null
  group by genre, track_id, song_key
)

select
  genres.listen_date,
  genres.genre,
  genres.listen_count,
  genres.avg_track_duration_s,
  genres.avg_popularity,
  genres.listen_count * genres.avg_popularity / 100 as popularity_index,
  track_plays.track_id as top_track_id,
  track_plays.song_key as top_song_key,
  track_plays.track_plays as top_track_plays,
  genres.date_key
from genres
left join track_plays on track_plays.genre = genres.genre and track_plays.play_rank = 1
