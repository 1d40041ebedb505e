"""Glue job ``transform_songs``: the landing songs extract (catalog database) to an Iceberg table.

Arguments: --run_date YYYY-MM-DD --landing_path --warehouse_path [--catalog_name glue_catalog]
[--database deftunes_transform] [--job_results_path]. Locally (no awsglue): add --local_data_dir DIR.
"""
from deftunes_glue.entrypoint import main

if __name__ == "__main__":
    main("transform_songs")
