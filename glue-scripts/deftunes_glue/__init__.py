"""DeFtunes transform jobs: landing zone (gzipped JSON lines) to Iceberg tables.

Pure DataFrame functions (``parsing``, ``transforms``), explicit schemas (``schemas``), Iceberg and
object-store helpers (``iceberg``, ``storage``) and the job logic shared by the Glue entrypoints and the
local runner (``jobs``). Shipped to AWS Glue as a zip with ``--extra-py-files``: no module reads data
files from the package directory.
"""
