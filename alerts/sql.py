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
