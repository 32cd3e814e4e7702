"""Set-based writes of the escalation engine. The general helpers live in `common.sql` (the
register's bulk services use them too) and are re-exported here for the jobs and the reports."""

from __future__ import annotations

import datetime as dt

from django.db.models import Expression, F, QuerySet, Value

from common.sql import analyze, insert_select, refresh_statistics, without_jit

from .models import Alert

__all__ = ["analyze", "insert_alerts", "insert_select", "refresh_statistics", "without_jit"]

ALERT_FIELDS = ["case", "kind", "level", "line_date", "raised_on", "superseded", "resolution", "escalation_step"]


def insert_alerts(
    queryset: QuerySet,
    *,
    case: str,
    kind: str,
    level: Expression | F,
    line: Expression | F,
    as_of: dt.date,
    superseded: bool = False,
) -> int:
    """Raise one alert per row of `queryset` in one INSERT … SELECT (rows hitting the unique
    constraint are skipped): `case` names the column holding the case id; `level` and `line` are
    expressions over the row (an F() of a column, or a Value()). Returns the alerts written."""
    rows = queryset.annotate(
        a_kind=Value(kind),
        a_level=level,
        a_line=line,
        a_raised=Value(as_of),
        a_superseded=Value(superseded),
        a_resolution=Value(""),
        a_step=Value(0),
    ).values_list(case, "a_kind", "a_level", "a_line", "a_raised", "a_superseded", "a_resolution", "a_step")
    return insert_select(Alert, ALERT_FIELDS, rows)
