"""SQL building blocks of the bulletin and the figure snapshots that the ORM lacks."""

from __future__ import annotations

from django.db import models
from django.db.models import Func


class DaysBetween(Func):
    """Whole days from `earlier` to `later` (two dates). Day counts only: months belong to cases.ageing."""

    output_field = models.IntegerField()
    arity = 2

    def as_sql(self, compiler, connection, **extra_context):
        # PostgreSQL: date - date is an integer number of days.
        return super().as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )
