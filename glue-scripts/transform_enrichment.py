"""Glue job ``transform_enrichment``: landing concerts and artist statistics (external APIs) to Iceberg tables.

Reads ext/concerts and ext/artist_stats (with their manifests; the concerts manifest's windows become
``concert_windows``) and writes ``concerts``, ``concert_windows``, ``artist_stats`` and ``quarantine``.
Arguments: --run_date YYYY-MM-DD --landing_path --warehouse_path [--catalog_name glue_catalog]
[--database deftunes_transform] [--job_results_path]. Locally (no awsglue): add --local_data_dir DIR.
"""
from deftunes_glue.entrypoint import main

if __name__ == "__main__":
    main("transform_enrichment")
