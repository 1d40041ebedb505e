"""Checks SQL texts the way Amazon Redshift would judge them, before any of them reaches a workgroup.

DuckDB (the local warehouse) accepts a lot that Redshift refuses, so a green local run says little about
the first real run. This checker reads, on stdin, the Redshift Data API calls the project would make:

    {"calls": [{"api": "ExecuteStatement" | "BatchExecuteStatement",
                "statements": [{"label": "...", "sql": "..."}]}]}

and prints, on stdout, one JSON object `{"findings": [{"label", "rule", "message"}], "checked": N}`.
An empty list means every statement passed every rule:

- ``parse``: the text is exactly one statement that sqlglot's ``redshift`` dialect parses; a text that
  the parser only keeps as an opaque command must be one of the few Redshift DDL forms the project uses,
  matched by its grammar from the AWS docs (``CREATE EXTERNAL SCHEMA ... FROM DATA CATALOG``,
  ``CREATE ROLE``).
- ``statement``: the statement is of a kind the project uses (queries, INSERT, DELETE, UPDATE, DROP,
  ALTER, GRANT, CREATE TABLE/VIEW/SCHEMA); anything else needs checking against the docs first.
- ``reserved-word``: no word of AWS's published list of Redshift reserved words is used as an unquoted
  identifier (column, table, alias, CTE name); START and CONNECT may not be bare table aliases
  (the same page's note).
- ``function``: every function called is in ``REDSHIFT_FUNCTIONS`` below, Redshift's compute-node
  functions. Leader-node-only functions (``generate_series``, ...) and other engines' functions
  (``strftime``, ``string_agg``, ``date_diff``...) are not in it on purpose.
- ``window``: an aggregate window function with ORDER BY has a frame clause, and no window aggregate
  takes DISTINCT (Redshift refuses both; DuckDB and Postgres accept them).
- ``view``: a view WITH NO SCHEMA BINDING (late binding) names every relation with its schema and has
  no recursive CTE ("All the relation names inside should be qualified when creating VIEW WITH NO
  SCHEMA BINDING").
- ``limit``: at most 100 KB per SQL text, at most 40 statements per BatchExecuteStatement.

sqlglot is lenient (it parses some syntax Redshift refuses), so the rules above add what it does not
check. The list of functions is deliberately a closed allow-list: a new function fails here until someone
checks it in the Redshift SQL reference and adds it.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError

MAX_STATEMENT_BYTES = 100 * 1024
MAX_BATCH_STATEMENTS = 40

# AWS, Amazon Redshift Database Developer Guide, "Reserved words" (r_pg_keywords).
RESERVED_WORDS = frozenset(
    """
    AES128 AES256 ALL ALLOWOVERWRITE ANALYSE ANALYZE AND ANY ARRAY AS ASC AUTHORIZATION AZ64 BACKUP
    BETWEEN BINARY BLANKSASNULL BOTH BYTEDICT BZIP2 CASE CAST CHECK COLLATE COLUMN CONSTRAINT CREATE
    CREDENTIALS CROSS CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER CURRENT_USER_ID DEFAULT
    DEFERRABLE DEFLATE DEFRAG DELTA DELTA32K DESC DISABLE DISTINCT DO ELSE EMPTYASNULL ENABLE ENCODE
    ENCRYPT ENCRYPTION END EXCEPT EXPLICIT FALSE FOR FOREIGN FREEZE FROM FULL GLOBALDICT256
    GLOBALDICT64K GRANT GROUP GZIP HAVING IDENTITY IGNORE ILIKE IN INITIALLY INNER INTERSECT INTERVAL
    INTO IS ISNULL JOIN LEADING LEFT LIKE LIMIT LOCALTIME LOCALTIMESTAMP LUN LUNS LZO LZOP MINUS
    MOSTLY16 MOSTLY32 MOSTLY8 NATURAL NEW NOT NOTNULL NULL NULLS OFF OFFLINE OFFSET OID OLD ON ONLY
    OPEN OR ORDER OUTER OVERLAPS PARALLEL PARTITION PERCENT PERMISSIONS PIVOT PLACING PRIMARY RAW
    READRATIO RECOVER REFERENCES REJECTLOG RESORT RESPECT RESTORE RIGHT SELECT SESSION_USER SIMILAR
    SNAPSHOT SOME SYSDATE SYSTEM TABLE TAG TDES TEXT255 TEXT32K THEN TIMESTAMP TO TOP TRAILING TRUE
    TRUNCATECOLUMNS UNION UNIQUE UNNEST UNPIVOT USER USING VERBOSE WALLET WHEN WHERE WITH WITHOUT
    """.split()
)
# Same page: "While START and CONNECT are not reserved words, use delimited identifiers or AS if you're
# using START and CONNECT as table aliases in your query to avoid failure at runtime."
ALIAS_ONLY_WITH_AS = frozenset({"START", "CONNECT"})

# Redshift SQL functions reference (compute-node functions), as called by name with parentheses.
# Keyword syntax (CAST, EXTRACT, CASE, EXISTS, POSITION ... IN) is judged by the parser, not here.
REDSHIFT_FUNCTIONS = frozenset(
    """
    abs acos add_months any_value approximate asin atan atan2 avg bit_and bit_or bool_and bool_or
    btrim cbrt ceil ceiling char_length character_length charindex checksum chr coalesce concat
    convert convert_timezone cos cot count crc32 cume_dist date date_add date_cmp date_part
    date_part_year date_trunc dateadd datediff decode degrees dense_rank dexp dlog1 dlog10 exp
    first_value floor func_sha1 getdate greatest initcap instr interval_cmp is_valid_json
    is_valid_json_array json_extract_array_element_text json_extract_path_text lag last_day
    last_value lead least left len length listagg ln log lower lpad ltrim max md5 median min mod
    months_between next_day nth_value ntile nullif nvl nvl2 octet_length percent_rank
    percentile_cont percentile_disc pi position pow power quote_ident quote_literal radians random
    rank ratio_to_report regexp_count regexp_instr regexp_replace regexp_substr repeat replace
    replicate reverse right round row_number rpad rtrim sha1 sha2 sign sin split_part sqrt stddev
    stddev_pop stddev_samp strpos strtol substr substring sum sysdate tan textlen timeofday
    timestamp_cmp timezone to_char to_date to_hex to_number to_timestamp translate trim trunc upper
    var_pop var_samp variance
    current_database current_schema
    """.split()
)

# Aggregates that, used as window functions with ORDER BY, need a frame clause on Redshift
# (AWS docs, "Window functions": "The frame clause is required if an ORDER BY clause is used for
# aggregate functions"; FIRST_VALUE and LAST_VALUE likewise).
FRAMED_WINDOW_FUNCTIONS = frozenset(
    {"avg", "count", "max", "min", "stddev", "stddev_samp", "stddev_pop", "sum", "variance",
     "var_samp", "var_pop", "first_value", "last_value", "nth_value", "listagg", "median"}
)

# Nodes sqlglot builds from keyword syntax rather than a call by name: `CAST(x AS t)` and `x::t`, `EXTRACT`,
# `CASE`, `AND`/`OR`, `EXISTS`, the `~` operator, `CURRENT_DATE`. The redshift parser accepting them is the check.
SYNTAX_NODES = (
    exp.Cast, exp.Extract, exp.Case, exp.If, exp.And, exp.Or, exp.Exists, exp.RegexpLike,
    exp.CurrentDate, exp.CurrentTimestamp, exp.CurrentTime, exp.CurrentUser,
)

# The statement kinds the project sends. Anything else (COPY, UNLOAD, external tables, a DuckDB statement
# the parser keeps as an opaque command) is a finding until someone checks it against the Redshift docs.
STATEMENT_NODES = (
    exp.Query, exp.Insert, exp.Delete, exp.Update, exp.Drop, exp.Alter, exp.Grant, exp.Create,
)
CREATE_KINDS = frozenset({"TABLE", "VIEW", "SCHEMA"})

CREATE_EXTERNAL_SCHEMA = re.compile(
    r"^CREATE EXTERNAL SCHEMA (?:IF NOT EXISTS )?(?P<name>[A-Za-z_][A-Za-z0-9_]*) FROM DATA CATALOG "
    r"DATABASE '[A-Za-z0-9_]+' IAM_ROLE 'arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+'$",
    re.IGNORECASE,
)
CREATE_ROLE = re.compile(r"^CREATE ROLE (?P<name>[A-Za-z_][A-Za-z0-9_]*)$", re.IGNORECASE)
COMMAND_GRAMMARS = (CREATE_EXTERNAL_SCHEMA, CREATE_ROLE)


@dataclass(frozen=True)
class Finding:
    label: str
    rule: str
    message: str


def _excerpt(sql: str, start: int | None, end: int | None) -> str:
    if start is None:
        return ""
    line_start = sql.rfind("\n", 0, start) + 1
    line_end = sql.find("\n", end if end is not None else start)
    line = sql[line_start : line_end if line_end != -1 else len(sql)].strip()
    return f" in: {line[:160]}"


def _identifier_findings(label: str, sql: str, tree: exp.Expression) -> list[Finding]:
    findings = []
    for identifier in tree.find_all(exp.Identifier):
        if identifier.quoted:
            continue
        word = identifier.name.upper()
        if word in RESERVED_WORDS:
            findings.append(
                Finding(
                    label,
                    "reserved-word",
                    f'"{identifier.name}" is a Redshift reserved word used as an unquoted identifier'
                    f"{_excerpt(sql, identifier.meta.get('start'), identifier.meta.get('end'))}",
                )
            )
    for alias in tree.find_all(exp.TableAlias):
        identifier = alias.this
        if (
            isinstance(identifier, exp.Identifier)
            and not identifier.quoted
            and identifier.name.upper() in ALIAS_ONLY_WITH_AS
        ):
            start = identifier.meta.get("start")
            before = sql[:start].rstrip().lower() if start is not None else " as"
            if not before.endswith(" as"):
                findings.append(
                    Finding(
                        label,
                        "reserved-word",
                        f'table alias "{identifier.name}" needs AS or quotes on Redshift'
                        f"{_excerpt(sql, start, identifier.meta.get('end'))}",
                    )
                )
    return findings


def _called_name(sql: str, function: exp.Func) -> str | None:
    """The function's name as written in the text (None for keyword syntax such as CAST or CASE)."""
    if isinstance(function, exp.Anonymous):
        return function.name.lower()
    start, end = function.meta.get("start"), function.meta.get("end")
    if start is not None and end is not None:
        return sql[start : end + 1].lower()
    if isinstance(function, SYNTAX_NODES):
        return None
    # Parsed by a dedicated parser that keeps no position (string_agg becomes GROUP_CONCAT): judge the
    # generic name, which is never a Redshift name when the original one was not.
    return f"{function.sql_name().lower()} (sqlglot's name)"


def _function_findings(label: str, sql: str, tree: exp.Expression) -> list[Finding]:
    findings = []
    for function in tree.find_all(exp.Func):
        name = _called_name(sql, function)
        if name is not None and name not in REDSHIFT_FUNCTIONS:
            findings.append(
                Finding(
                    label,
                    "function",
                    f"{name} is not a Redshift compute-node function"
                    f"{_excerpt(sql, function.meta.get('start'), function.meta.get('end'))}",
                )
            )
    return findings


def _window_findings(label: str, sql: str, tree: exp.Expression) -> list[Finding]:
    findings = []
    for window in tree.find_all(exp.Window):
        function = window.this
        if not isinstance(function, exp.Func):
            continue
        name = _called_name(sql, function) or function.sql_name().lower()
        if window.args.get("order") is not None and window.args.get("spec") is None:
            if name in FRAMED_WINDOW_FUNCTIONS:
                findings.append(
                    Finding(
                        label,
                        "window",
                        f"{name}() OVER (... ORDER BY ...) needs a frame clause (ROWS ...) on Redshift"
                        f"{_excerpt(sql, function.meta.get('start'), function.meta.get('end'))}",
                    )
                )
        if function.find(exp.Distinct) is not None:
            findings.append(
                Finding(
                    label,
                    "window",
                    f"{name}(DISTINCT ...) OVER (...) is not supported by Redshift"
                    f"{_excerpt(sql, function.meta.get('start'), function.meta.get('end'))}",
                )
            )
    return findings


def _late_binding_view_findings(label: str, sql: str, tree: exp.Expression) -> list[Finding]:
    """A view WITH NO SCHEMA BINDING must name every relation with its schema (CTE names aside)."""
    if not (isinstance(tree, exp.Create) and tree.args.get("no_schema_binding")):
        return []
    query = tree.expression
    ctes = {cte.alias_or_name.lower() for cte in query.find_all(exp.CTE)} if query else set()
    findings = []
    for table in query.find_all(exp.Table) if query else []:
        if not table.db and table.name.lower() not in ctes:
            findings.append(
                Finding(
                    label,
                    "view",
                    f'relation "{table.name}" in a view WITH NO SCHEMA BINDING must be schema-qualified'
                    f"{_excerpt(sql, table.this.meta.get('start'), table.this.meta.get('end'))}",
                )
            )
    if query is not None and any(with_.args.get("recursive") for with_ in query.find_all(exp.With)):
        findings.append(Finding(label, "view", "a view WITH NO SCHEMA BINDING cannot use a recursive CTE"))
    return findings


def _command_findings(label: str, sql: str) -> list[Finding]:
    text = " ".join(sql.split())
    for grammar in COMMAND_GRAMMARS:
        match = grammar.match(text)
        if match:
            name = match.group("name")
            if name.upper() in RESERVED_WORDS:
                return [
                    Finding(label, "reserved-word", f'"{name}" is a Redshift reserved word used as a name')
                ]
            return []
    return [
        Finding(
            label,
            "parse",
            f"the Redshift parser does not understand this statement: {text[:160]}",
        )
    ]


def check_statement(label: str, sql: str) -> list[Finding]:
    findings = []
    size = len(sql.encode("utf-8"))
    if size > MAX_STATEMENT_BYTES:
        findings.append(
            Finding(
                label,
                "limit",
                f"{size} bytes; the Data API accepts at most {MAX_STATEMENT_BYTES} bytes per statement",
            )
        )
    try:
        trees = [
            tree
            for tree in sqlglot.parse(sql, read="redshift", error_level=ErrorLevel.RAISE)
            if tree is not None
        ]
    except ParseError as error:
        return findings + [Finding(label, "parse", f"Redshift dialect parse error: {error}")]
    if len(trees) != 1:
        return findings + [
            Finding(label, "parse", f"{len(trees)} statements in one SQL text; send one at a time")
        ]
    tree = trees[0]
    if isinstance(tree, exp.Command):
        return findings + _command_findings(label, sql)
    kind = tree.args.get("kind") if isinstance(tree, exp.Create) else None
    if not isinstance(tree, STATEMENT_NODES) or (
        isinstance(tree, exp.Create)
        and (str(kind).upper() not in CREATE_KINDS or tree.find(exp.ExternalProperty) is not None)
    ):
        what = f"CREATE {'EXTERNAL ' if tree.find(exp.ExternalProperty) else ''}{kind}" if kind else tree.key
        return findings + [
            Finding(label, "statement", f"{what} is not a statement kind this check knows Redshift to accept")
        ]
    findings += _identifier_findings(label, sql, tree)
    findings += _function_findings(label, sql, tree)
    findings += _window_findings(label, sql, tree)
    findings += _late_binding_view_findings(label, sql, tree)
    return findings


def check_calls(calls: list[dict]) -> tuple[list[Finding], int]:
    findings: list[Finding] = []
    checked = 0
    for call in calls:
        statements = call["statements"]
        if call["api"] == "BatchExecuteStatement" and len(statements) > MAX_BATCH_STATEMENTS:
            findings.append(
                Finding(
                    statements[0]["label"],
                    "limit",
                    f"a batch of {len(statements)} statements; BatchExecuteStatement takes at most "
                    f"{MAX_BATCH_STATEMENTS}",
                )
            )
        for statement in statements:
            checked += 1
            findings += check_statement(statement["label"], statement["sql"])
    return findings, checked


def main() -> int:
    document = json.load(sys.stdin)
    findings, checked = check_calls(document["calls"])
    json.dump(
        {
            "checked": checked,
            "sqlglot": sqlglot.__version__,
            "findings": [finding.__dict__ for finding in findings],
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
