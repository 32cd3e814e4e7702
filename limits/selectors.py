"""Reads of the statutory clock: time-limit figures live, and the hidden-overrun list."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet

from cases.models import Case

from .models import HiddenOverrunFlag
from .rule import limit_aggregates, limit_rates, open_on_q

GROUPS = {
    "division": ("division_id", "division__name", "division__code"),
    "handler": ("handler_id", "handler__name", "handler__username"),
}


def limit_figures(
    start: dt.date, end: dt.date, *, group_by: str | None = None, queryset: QuerySet | None = None
) -> list[dict]:
    """Time-limit figures, court-wide (`group_by=None`) or per "division" / "handler", live.

    Cases closed in [start, end] with a time limit: `closed`, `closed_on_time` (closing date
    on or before the deadline), `on_time_rate` (0–1, None when none closed), `excluded_days`,
    `average_excluded_days`, `extended` (at least one approved extension), `extension_rate`.
    Open cases on `end`: `overdue` (past the deadline), `hidden_flags` (cases with a running
    hidden-overrun flag). Grouped rows also have the group's id key, `name` and `code`
    (division code or handler username). One query.
    """
    base = Case.objects.all() if queryset is None else queryset
    # Only cases under a time limit that were closed in the range or are open on `end`.
    base = base.filter(limit_raw__isnull=False).filter(Q(closed_on__gte=start, closed_on__lte=end) | open_on_q(end))
    aggregates = limit_aggregates(start, end)
    if group_by is None:
        rows = [base.aggregate(**aggregates)]
    else:
        key, label, code = GROUPS[group_by]
        rows = [
            {**row, "name": row[label] or "", "code": row[code] or ""}
            for row in base.values(key, label, code).annotate(**aggregates).order_by(code, key)
        ]
    for row in rows:
        row.update(limit_rates(row["closed"], row["closed_on_time"], row["excluded_days"], row["extended"]))
    return rows


def hidden_overrun_flags(*, division=None, queryset: QuerySet | None = None) -> QuerySet:
    """Running hidden-overrun flags with their evidence, for the tracking officer's list."""
    qs = HiddenOverrunFlag.objects.filter(cleared_on__isnull=True).select_related(
        "case", "case__division", "case__handler"
    )
    if division is not None:
        qs = qs.filter(case__division=division)
    if queryset is not None:
        qs = qs.filter(case__in=queryset)
    return qs.order_by("case__division__sort_order", "case__filed_on", "rule")


def hidden_overrun_counts_by_division(queryset: QuerySet | None = None) -> list[dict]:
    """[{division_id, division__name, cases, flags}] for running flags."""
    return list(
        hidden_overrun_flags(queryset=queryset)
        .values("case__division_id", "case__division__name")
        .annotate(cases=Count("case", distinct=True), flags=Count("id"))
        .order_by("case__division__name")
    )


def case_ledger(case: Case) -> tuple[list, list]:
    """The excluded periods and extensions of one case, in order, with who recorded them."""
    periods = list(case.excluded_periods.select_related("recorded_by").order_by("start", "id"))
    extensions = list(case.extensions.select_related("requested_by", "decided_by").order_by("requested_on", "id"))
    return periods, extensions
