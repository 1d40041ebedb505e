"""Job arguments: Glue's ``getResolvedOptions`` on AWS, argparse locally, one validated result."""
import argparse
import os
import datetime as dt
import re
import sys
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence, Tuple

DEFAULT_CATALOG = "glue_catalog"
DEFAULT_DATABASE = "deftunes_transform"
JOB_RESULTS_DIR = "_job_results"
"""The jobs' counts folder (lambdas/shared/platform-names.ts JOB_RESULTS_PREFIX, which the quality gate reads)."""
REQUIRED = ("run_date", "landing_path", "warehouse_path")
OPTIONAL = {
    "catalog_name": DEFAULT_CATALOG,
    "database": DEFAULT_DATABASE,
    "job_results_path": None,  # default: <warehouse_path>/JOB_RESULTS_DIR
    "lateness_hours": None,  # transform_listens only; default there: listens.DEFAULT_LATENESS_HOURS
}
MAX_LATENESS_HOURS = 168
# A catalog, database, table or column name as the jobs put it into SQL text.
SQL_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class JobArgumentError(ValueError):
    pass


@dataclass(frozen=True)
class JobOptions:
    run_date: str
    landing_path: str
    warehouse_path: str
    catalog_name: str = DEFAULT_CATALOG
    database: str = DEFAULT_DATABASE
    job_results_path: Optional[str] = None
    lateness_hours: Optional[int] = None
    """Given only to transform_listens (cdk.json ``stream.latenessHours``); the other jobs refuse it."""

    @property
    def results_path(self) -> str:
        return self.job_results_path or f"{self.warehouse_path.rstrip('/')}/{JOB_RESULTS_DIR}"

    @property
    def ingest_on(self) -> dt.date:
        return dt.date.fromisoformat(self.run_date)


def options_from_mapping(values: Mapping[str, object]) -> JobOptions:
    """Validates job arguments (from Glue, argparse or the local runner); errors name the argument."""
    unknown = sorted(set(values) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise JobArgumentError(f"unknown job arguments: {', '.join(unknown)}")
    missing = [name for name in REQUIRED if not values.get(name)]
    if missing:
        raise JobArgumentError(f"missing job arguments: {', '.join('--' + m for m in missing)}")
    merged = {**OPTIONAL, **{k: v for k, v in values.items() if v is not None and v != ""}}
    run_date = str(merged["run_date"])
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", run_date):
            raise ValueError
        dt.date.fromisoformat(run_date)
    except ValueError:
        raise JobArgumentError(f"--run_date must be a date YYYY-MM-DD, got {run_date!r}") from None
    for name in ("catalog_name", "database"):
        if not SQL_IDENTIFIER.match(str(merged[name])):
            raise JobArgumentError(f"--{name} must be an identifier, got {merged[name]!r}")
    lateness_hours = lateness_hours_of(merged.pop("lateness_hours"))
    return JobOptions(
        **{k: str(v) if v is not None else None for k, v in merged.items()}, lateness_hours=lateness_hours
    )


def lateness_hours_of(value: object) -> Optional[int]:
    """--lateness_hours as an int in [0, 168] (Glue passes text, the local runner may pass a number)."""
    if value is None:
        return None
    text = str(value).strip()
    if isinstance(value, bool) or not re.fullmatch(r"\d{1,3}", text) or int(text) > MAX_LATENESS_HOURS:
        raise JobArgumentError(f"--lateness_hours must be an integer in [0, {MAX_LATENESS_HOURS}], got {value!r}")
    return int(text)


def glue_resolver():
    """``awsglue.utils.getResolvedOptions`` on AWS Glue, None elsewhere."""
    try:
        from awsglue.utils import getResolvedOptions  # type: ignore[import-not-found]
    except ImportError:
        return None
    return getResolvedOptions


def resolve_job_options(argv: Optional[Sequence[str]] = None) -> Tuple[JobOptions, Optional[str]]:
    """Reads ``--name value`` job arguments: with awsglue on Glue, with argparse elsewhere.

    Returns the options and, for a local run, the ``--local_data_dir`` whose landing and warehouse
    directories are the defaults of ``--landing_path`` and ``--warehouse_path``.
    """
    argv = list(sys.argv if argv is None else argv)
    get_resolved_options = glue_resolver()
    if get_resolved_options is not None:
        # getResolvedOptions fails on any absent name, so optional names are asked for only when given.
        names = list(REQUIRED) + [name for name in OPTIONAL if f"--{name}" in argv]
        return options_from_mapping(get_resolved_options(argv, names)), None
    parser = argparse.ArgumentParser(description="DeFtunes transform job, run without AWS Glue")
    parser.add_argument("--run_date", required=True, help="YYYY-MM-DD")
    parser.add_argument("--landing_path", help="default: <local_data_dir>/landing")
    parser.add_argument("--warehouse_path", help="default: <local_data_dir>/transform/warehouse")
    for name, default in OPTIONAL.items():
        parser.add_argument(f"--{name}", default=default)
    parser.add_argument("--local_data_dir", help="build a local Spark session over this data directory")
    values = vars(parser.parse_args(argv[1:]))
    data_dir = values.pop("local_data_dir")
    if data_dir:
        values["landing_path"] = values["landing_path"] or os.path.join(os.path.abspath(data_dir), "landing")
        values["warehouse_path"] = values["warehouse_path"] or os.path.join(
            os.path.abspath(data_dir), "transform", "warehouse"
        )
    return options_from_mapping(values), data_dir
