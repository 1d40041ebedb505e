{#- An artist name as matching compares it: lower case, accents and punctuation removed, spaces collapsed, a
    leading "the " dropped; null when nothing is left. Built from functions both engines have (lower,
    translate, regexp_replace, ltrim, rtrim), so DuckDB and Redshift normalize a name the same way. Punctuation is
    deleted, not turned into a space ("AC/DC" -> "acdc"), so "Guns N' Roses" and "Guns N Roses" agree. -#}
{% macro normalized_name(expression) -%}
  {%- set accented = "àáâãäåāèéêëēìíîïīòóôõöøōùúûüūñçýÿ" -%}
  {%- set plain = "aaaaaaaeeeeeiiiiiooooooouuuuuncyy" -%}
  {#- ASCII punctuation (no backslash: the Data API path refuses it in SQL text) and typographic marks;
      translate deletes the characters of its second argument that have no counterpart in the third. -#}
  {%- set punctuation = "!\"#$%&''()*+,-./:;<=>?@[]^_`{|}~’‘“”–—…" -%}
  nullif(
    {{ regexp_replace_all(
        "ltrim(rtrim(" ~ regexp_replace_all("translate(lower(" ~ expression ~ "), '" ~ accented ~ punctuation ~ "', '" ~ plain ~ "')", "'[[:space:]]+'", "' '") ~ "))",
        "'^the '",
        "''"
    ) }},
    ''
  )
{%- endmacro %}

{#- regexp_replace of every match: Redshift's regexp_replace replaces all matches (its 4th argument is a
    position), DuckDB's only the first unless given the 'g' option. -#}
{% macro regexp_replace_all(expression, pattern, replacement) -%}
  {{ return(adapter.dispatch('regexp_replace_all')(expression, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(expression, pattern, replacement) -%}
  regexp_replace({{ expression }}, {{ pattern }}, {{ replacement }})
{%- endmacro %}

{% macro duckdb__regexp_replace_all(expression, pattern, replacement) -%}
  regexp_replace({{ expression }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}
