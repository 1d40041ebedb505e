{#- The average of a double column, the same on every run: a parallel engine adds doubles in any order, and a
    double sum is not associative, so avg(double) changed in its last digits from one run to the next (a
    re-run must give identical rows). The values are summed as decimal(38, 9), exactly, whatever the order
    (DuckDB's avg of a decimal divides its exact sum; Redshift's keeps the input's scale), then returned as a
    double. Nine decimals keep catalog durations (five) and popularity (100 x a six-decimal hotttnesss) whole. -#}
{% macro exact_avg(expression) -%}
  cast(avg(cast({{ expression }} as decimal(38, 9))) as double precision)
{%- endmacro %}
