#!/usr/bin/env bash
# Runs the Python test suite (Glue scripts, dbt project) in the project's virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD/glue-scripts:$PWD/lib/local/spark${PYTHONPATH:+:$PYTHONPATH}"
exec .venv/bin/python -m pytest test/python "$@"
