"""Glue job ``transform_listens``: the listening events Firehose landed to the Iceberg table ``listens``.

Reads the objects under stream/listens/arrived_on=YYYY-MM-DD/hour=HH/ of the arrival hours
[D 00:00, D+1 00:00 + lateness_hours) and writes ``listens`` (partition listen_date = D) and ``quarantine``
(partition ingest_on = D, source = 'listens'); see docs/listening-events.md.
Arguments: --run_date YYYY-MM-DD --landing_path --warehouse_path [--lateness_hours 12]
[--catalog_name glue_catalog] [--database deftunes_transform] [--job_results_path].
Locally (no awsglue): add --local_data_dir DIR.
"""
from deftunes_glue.entrypoint import main

if __name__ == "__main__":
    main("transform_listens")
