"""Glue job ``transform_api``: landing users and sessions (API extracts) to Iceberg tables.

Arguments: --run_date YYYY-MM-DD --landing_path --warehouse_path [--catalog_name glue_catalog]
[--database deftunes_transform] [--job_results_path]. Locally (no awsglue): add --local_data_dir DIR.
"""
from deftunes_glue.entrypoint import main

if __name__ == "__main__":
    main("transform_api")
