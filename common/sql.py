"""SQL the ORM has no verb for: set-based writes (INSERT … SELECT … ON CONFLICT DO NOTHING, bulk
UPDATE … FROM VALUES) and date arithmetic in expressions (`AddDays`, `DaysBetween`).

The SELECT is an ordinary queryset (so the ageing rule's expressions from `cases.ageing` are
reused, not rewritten in SQL); this module only wraps it in an INSERT. Works on PostgreSQL and on
SQLite ≥ 3.24.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, models
from django.db.models import Func, Model, QuerySet

# Fields whose Python values psycopg2 adapts as they are (aware datetimes, dates, text, numbers,
# choices, related ids); any other field prepares its value through the ORM (JSON, for one).
_PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.DateField,  # and DateTimeField
    models.ForeignKey,
)


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


def insert_rows(model: type[Model], objs: Sequence[Model], using: str = "default") -> list[Model]:
    """`QuerySet.bulk_create` for new instances without the ORM's per-value compiling: on
    PostgreSQL one multi-row INSERT … RETURNING id, its values quoted by psycopg2.

    The ORM prepares every value of every row through several layers of field methods (about
    0.16 s for 1,000 cases of 39 columns, as much as the INSERT itself); plain values need none of
    that. `pre_save` still runs per field (auto_now and auto_now_add), and related objects saved
    since the instance was built give their ids, as in bulk_create. Elsewhere (SQLite) it is
    bulk_create. Sets each instance's primary key; returns `objs`.
    """
    if not objs:
        return list(objs)
    connection = connections[using]
    if connection.vendor != "postgresql":
        return model._default_manager.using(using).bulk_create(objs)
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    plain = [isinstance(field, _PLAIN_FIELDS) for field in fields]
    rows = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
        rows.append(
            tuple(
                field.pre_save(obj, True) if is_plain else field.get_db_prep_save(field.pre_save(obj, True), connection)
                for field, is_plain in zip(fields, plain, strict=True)
            )
        )
    quote = connection.ops.quote_name
    template = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        # psycopg2 quotes each row as it would quote parameters (what execute_values does); the
        # statement then goes through Django's cursor, so query logging and wrappers see it.
        values = b", ".join(cursor.cursor.mogrify(template, row) for row in rows).decode(connection.connection.encoding)
        cursor.execute(
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
            f"VALUES {values} RETURNING {quote(meta.pk.column)}"
        )
        ids = cursor.fetchall()
    for obj, (pk,) in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = using
    return list(objs)


def update_rows(
    model: type[Model], objs: Sequence[Model], fields: Sequence[str], using: str = "default", batch: int = 1000
) -> int:
    """Write `fields` of `objs` (saved instances) back to their rows: `QuerySet.bulk_update` as
    one statement of plain values per batch, `UPDATE … SET f = v.f FROM (VALUES …) AS v WHERE
    id = v.id`, each value prepared by its field as the ORM would.

    Django's bulk_update builds a CASE WHEN expression per field and row, and resolving those
    costs about 0.15 ms each in Python: 0.3 s for two fields of 1,000 cases, and most of the
    embedded demo's set-up on SQLite. Both PostgreSQL and SQLite (3.33 and later) take UPDATE …
    FROM; an older SQLite gets bulk_update. Returns the rows updated.
    """
    if not objs or not fields:
        return 0
    connection = connections[using]
    postgres = connection.vendor == "postgresql"
    if not postgres and not (connection.vendor == "sqlite" and connection.Database.sqlite_version_info >= (3, 33)):
        return model._default_manager.using(using).bulk_update(objs, fields, batch_size=500)
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk = meta.pk
    columns = [pk, *(meta.get_field(name) for name in fields)]
    if postgres:  # VALUES columns named after the fields, typed by the first row's casts
        row = "(" + ", ".join(f"%s::{field.db_type(connection)}" for field in columns) + ")"
        names = [f"v.{quote(field.column)}" for field in columns]
        alias = f"v ({', '.join(quote(field.column) for field in columns)})"
    else:  # SQLite names them column1, column2, …
        row = "(" + ", ".join(["%s"] * len(columns)) + ")"
        names = [f"v.column{i}" for i in range(1, len(columns) + 1)]
        alias = "v"
    assignments = ", ".join(
        f"{quote(field.column)} = {name}" for field, name in zip(columns[1:], names[1:], strict=True)
    )
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch):
            chunk = objs[start : start + batch]
            params = [
                field.get_db_prep_save(getattr(obj, field.attname), connection) for obj in chunk for field in columns
            ]
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([row] * len(chunk))}) AS {alias} "
                f"WHERE {table}.{quote(pk.column)} = {names[0]}",
                params,
            )
            updated += cursor.rowcount
    return updated


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


def drop_table(model: type[Model]) -> None:
    """DROP the table of `model` if it exists: a temporary table a job filled for one run."""
    connection = connections["default"]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(model._meta.db_table)}")


# --- date arithmetic in expressions --------------------------------------------------------------
# Day counts only: calendar months belong to cases.ageing (the ageing lines) and limits.rule.


class AddDays(Func):
    """date + integer number of days."""

    output_field = models.DateField()
    arity = 2

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" + ", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(
            compiler, connection, template="date(%(expressions)s || ' days')", arg_joiner=", '+' || ", **extra
        )


class DaysBetween(Func):
    """later − earlier (two dates), in whole days."""

    output_field = models.IntegerField()
    arity = 2

    def as_sql(self, compiler, connection, **extra):
        # PostgreSQL: date - date is an integer number of days.
        return super().as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )
