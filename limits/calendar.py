"""The working-day calendar: which days courts work, for time limits, dispatches and bulletins.

Source: China's official calendar as published by the State Council and kept in the
`chinesecalendar` package (holidays and make-up working days on weekends, 调休). A year the
package does not know is filled with weekends only and marked provisional. The admin's
overrides (WorkingDayOverride) are applied on top. Everything reads the one table
`WorkingDay`; a day missing from it counts as weekends-only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.db import transaction
from django.db.models import DateField, F, OuterRef, Subquery
from django.db.models.functions import Coalesce

IsWorking = Callable[[dt.date], bool]

# Years filled beyond the official source, as provisional weekends-only.
PROVISIONAL_YEARS_AHEAD = 10


def official_years() -> tuple[int, int]:
    """First and last year the installed chinesecalendar knows."""
    from chinese_calendar import constants

    years = {d.year for d in constants.holidays} | {d.year for d in constants.workdays}
    return min(years), max(years)


def source_days(first_year: int, last_year: int) -> Iterable[tuple[dt.date, bool, str, str]]:
    """(day, is_working, source, holiday name) for every day of the years, from the package."""
    import chinese_calendar

    known_first, known_last = official_years()
    day = dt.date(first_year, 1, 1)
    end = dt.date(last_year, 12, 31)
    while day <= end:
        if known_first <= day.year <= known_last:
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
            yield day, not on_holiday, "official", (name or "")[:50] if on_holiday else ""
        else:
            yield day, day.weekday() < 5, "provisional", ""
        day += dt.timedelta(days=1)


def weekends_only(day: dt.date) -> bool:
    return day.weekday() < 5


def load_working_days(first_year: int, last_year: int) -> int:
    """Fill or refresh the WorkingDay table for the years, then apply overrides. Idempotent.

    Returns the number of days written.
    """
    from .models import WorkingDay, WorkingDayOverride

    rows = [
        WorkingDay(day=day, is_working=working, source=source, name=name)
        for day, working, source, name in source_days(first_year, last_year)
    ]
    with transaction.atomic():
        WorkingDay.objects.bulk_create(
            rows,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["day"],
            update_fields=["is_working", "source", "name"],
        )
        for override in WorkingDayOverride.objects.filter(
            day__gte=dt.date(first_year, 1, 1), day__lte=dt.date(last_year, 12, 31)
        ):
            WorkingDay.objects.filter(day=override.day).update(is_working=override.is_working, source="override")
    return len(rows)


def default_years() -> tuple[int, int]:
    """The years the table should cover: the source's first year to ten years past its last."""
    first, last = official_years()
    return first, max(last, dt.date.today().year) + PROVISIONAL_YEARS_AHEAD


def working_calendar(start: dt.date, end: dt.date) -> IsWorking:
    """A function day → is working, read from the table for [start, end] (plus a margin so
    the next working day after `end` is found); weekends only outside the table."""
    from .models import WorkingDay

    known = dict(
        WorkingDay.objects.filter(day__gte=start, day__lte=end + dt.timedelta(days=40)).values_list("day", "is_working")
    )

    def is_working(day: dt.date) -> bool:
        value = known.get(day)
        return weekends_only(day) if value is None else value

    return is_working


def next_working_day(day: dt.date, is_working: IsWorking | None = None) -> dt.date:
    """`day` itself when it is a working day, else the first working day after it."""
    if is_working is None:
        is_working = working_calendar(day, day)
    for _ in range(60):
        if is_working(day):
            return day
        day += dt.timedelta(days=1)
    raise ValueError("no working day within 60 days")  # a broken calendar, never a real one


def is_working_day(day: dt.date) -> bool:
    return working_calendar(day, day)(day)


def is_provisional(day: dt.date) -> bool:
    """True when the day's status comes from weekends only (no official calendar yet)."""
    from .models import WorkingDay

    source = WorkingDay.objects.filter(day=day).values_list("source", flat=True).first()
    return source in (None, "provisional")


def next_working_day_subquery(annotation: str) -> Coalesce:
    """SQL: the first working day on or after the date annotation `annotation` of the outer
    query (itself if working). A correlated subquery on the table's partial index; falls
    back to the date itself where the table has no row (a year never loaded)."""
    from .models import WorkingDay

    first = WorkingDay.objects.filter(day__gte=OuterRef(annotation), is_working=True).order_by("day").values("day")[:1]
    return Coalesce(Subquery(first, output_field=DateField()), F(annotation), output_field=DateField())
