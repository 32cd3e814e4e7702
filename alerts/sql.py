"""Set-based writes the ORM has no verb for: INSERT … SELECT … ON CONFLICT DO NOTHING.

The SELECT is an ordinary queryset (so the ageing rule's expressions from `cases.ageing` are
reused, not rewritten in SQL); this module only wraps it in an INSERT. Works on PostgreSQL and on
SQLite ≥ 3.24.
"""

from __future__ import annotations

from django.db import connections
from django.db.models import Model, QuerySet


def insert_select(model: type[Model], fields: list[str], queryset: QuerySet) -> int:
    """Insert the rows of `queryset` into `model`'s table, skipping rows that hit a unique constraint.

    `queryset` must be a `values_list()` whose expressions are in the order of `fields` (Django 5.2
    keeps that order in the SELECT). It must have a WHERE clause: SQLite parses
    "INSERT … SELECT … ON CONFLICT" unambiguously only then. Returns the number of rows inserted.
    """
    connection = connections[queryset.db]
    queryset = queryset.order_by()
    select_sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    if " WHERE " not in select_sql:
        raise ValueError("insert_select needs a filtered queryset (SQLite's upsert parsing).")
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) {select_sql} ON CONFLICT DO NOTHING"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def without_jit() -> None:
    """Switch PostgreSQL's JIT compilation off for the rest of the current transaction.

    The jobs' statements carry correlated subqueries that the planner costs as if they ran for
    every row of the case table, although a cheaper condition lets only a few thousand through.
    The inflated cost triggers JIT compilation, which on the weekly dispatch took longer (about
    3 s of 6 on a million cases) than running the query. Outside a transaction this does nothing.
    """
    connection = connections["default"]
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


def refresh_statistics(*models: type[Model]) -> list[str]:
    """ANALYZE the tables of `models` that changed much since they were last analysed (PostgreSQL).

    Autovacuum analyses a table about a minute after a big change; a job started sooner (a first
    run followed by a catch-up, a backfill by hand) would be planned on statistics that say the
    alerts table is empty, and a nested loop over thousands of rows turns milliseconds into
    minutes. Checking costs one catalogue query; analysing a table of alerts well under a second.
    """
    connection = connections["default"]
    if connection.vendor != "postgresql":
        return []
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE relname = ANY(%s) "
            "AND n_mod_since_analyze > 1000 + 0.1 * n_live_tup",
            [tables],
        )
        stale = [row[0] for row in cursor.fetchall()]
        for table in stale:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    return stale


def analyze(*models: type[Model]) -> None:
    """ANALYZE the tables of `models` now (PostgreSQL), for statements later in the same transaction
    that read rows this transaction has just written: the planner cannot know of them otherwise."""
    connection = connections["default"]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
