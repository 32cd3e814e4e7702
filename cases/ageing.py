"""The ageing rule: how old a case is on a given date. One rule, in one place.

A case filed on F has its N-month line on F + N calendar months, clipped to the month's
end (filed 31 August → the 6-month line is 28/29 February). A case open on D is *over*
N months when its line is before D (on the line day it is exactly N months old).

Two faces of the same rule live here and must agree (a test generates thousands of dates
to prove it, on SQLite and PostgreSQL):

* `age()`: a pure function for one case;
* `open_on_q()`, `over_line_q()`, `level_expression()`: queryset expressions over the line
  dates stored on each case (`line_6m`, `line_12m`, `line_15m`), which `line_date()` computes
  whenever `filed_on` is set. Storing the lines keeps month arithmetic out of SQL, where
  SQLite and PostgreSQL disagree, and makes each test a plain indexed date comparison.
  Lines that are not stored (the 3- and 18-month edges of the age bands) are turned into a
  cut-off on `filed_on` by `filed_cutoff()`, derived from the same `line_date()`.
* `age_annotations()`: all of `age()` as columns of a case query (the case API's lists and
  details), the whole-month count by the same steps as `age_months_on()` over the year, month
  and day numbers (no month is added in SQL).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DateField,
    Expression,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    Value,
    When,
)
from django.db.models.functions import Cast, ExtractDay, ExtractMonth, ExtractYear, Greatest
from django.db.models.lookups import Exact, GreaterThan, LessThanOrEqual
from django.utils.translation import gettext_lazy as _

from common.sql import AddDays, DaysBetween

STORED_LINES = (6, 12, 15)
DEFAULT_WARNING_DAYS = 30


class Level:
    NORMAL = "normal"
    APPROACHING_6M = "approaching_6m"
    OVER_6M = "over_6m"
    APPROACHING_15M = "approaching_15m"
    OVER_15M = "over_15m"
    CLOSED = "closed"

    # Highest first; alerts are raised for the four middle ones.
    ORDER = [OVER_15M, APPROACHING_15M, OVER_6M, APPROACHING_6M, NORMAL, CLOSED]
    ALERTING = [APPROACHING_6M, OVER_6M, APPROACHING_15M, OVER_15M]
    RANK = {APPROACHING_6M: 1, OVER_6M: 2, APPROACHING_15M: 3, OVER_15M: 4}

    CHOICES = [
        (NORMAL, _("Normal")),
        (APPROACHING_6M, _("Approaching 6 months")),
        (OVER_6M, _("Over 6 months")),
        (APPROACHING_15M, _("Approaching 15 months")),
        (OVER_15M, _("Over 15 months")),
        (CLOSED, _("Closed")),
    ]


# Age bands of open cases as the court reads them: (label, over a months, not over b months).
AGE_BANDS: list[tuple[str, int, int | None]] = [
    ("0-3", 0, 3),
    ("3-6", 3, 6),
    ("6-12", 6, 12),
    ("12-15", 12, 15),
    ("15-18", 15, 18),
    ("18+", 18, None),
]


def line_date(filed_on: dt.date, months: int) -> dt.date:
    """The N-month line of a case filed on `filed_on`, clipped to the month's end."""
    return filed_on + relativedelta(months=months)


@functools.lru_cache(maxsize=4096)
def _lines(filed_on: dt.date) -> tuple[tuple[str, dt.date], ...]:
    return tuple((f"line_{n}m", line_date(filed_on, n)) for n in STORED_LINES)


def lines_for(filed_on: dt.date) -> dict[str, dt.date]:
    """The stored line fields for a filing date (a few thousand dates cover every case: cached)."""
    return dict(_lines(filed_on))


def is_open_on(filed_on: dt.date, closed_on: dt.date | None, as_of: dt.date) -> bool:
    """On `as_of` a case is open when filed by then and not yet closed (suspended is open)."""
    return filed_on <= as_of and (closed_on is None or closed_on > as_of)


@dataclass(frozen=True)
class Ageing:
    as_of: dt.date
    is_open: bool
    age_days: int
    age_months: int
    level: str
    line_6m: dt.date
    line_15m: dt.date


def age_months_on(filed_on: dt.date, day: dt.date) -> int:
    """The largest m whose m-month line is on or before `day`."""
    if day < filed_on:
        return 0
    months = (day.year - filed_on.year) * 12 + day.month - filed_on.month
    while months > 0 and line_date(filed_on, months) > day:
        months -= 1
    return months


def level_on(
    filed_on: dt.date, closed_on: dt.date | None, as_of: dt.date, warning_days: int = DEFAULT_WARNING_DAYS
) -> str:
    if not is_open_on(filed_on, closed_on, as_of):
        return Level.CLOSED
    line_6, line_15 = line_date(filed_on, 6), line_date(filed_on, 15)
    window = dt.timedelta(days=warning_days)
    if line_15 < as_of:
        return Level.OVER_15M
    if line_15 - window <= as_of:
        return Level.APPROACHING_15M
    if line_6 < as_of:
        return Level.OVER_6M
    if line_6 - window <= as_of:
        return Level.APPROACHING_6M
    return Level.NORMAL


def age(
    filed_on: dt.date, closed_on: dt.date | None, as_of: dt.date, warning_days: int = DEFAULT_WARNING_DAYS
) -> Ageing:
    """Everything the court reads about a case's age on `as_of`.

    A case closed by `as_of` is measured at its closing date; a case not yet filed on
    `as_of` has age 0 and level "closed" (it is not open).
    """
    open_ = is_open_on(filed_on, closed_on, as_of)
    measured_on = as_of if (closed_on is None or closed_on > as_of) else closed_on
    measured_on = max(measured_on, filed_on)
    return Ageing(
        as_of=as_of,
        is_open=open_,
        age_days=(measured_on - filed_on).days,
        age_months=age_months_on(filed_on, measured_on),
        level=level_on(filed_on, closed_on, as_of, warning_days),
        line_6m=line_date(filed_on, 6),
        line_15m=line_date(filed_on, 15),
    )


def filed_cutoff(months: int, as_of: dt.date) -> dt.date:
    """The latest filing date whose N-month line is before `as_of`.

    `line_date` never decreases as the filing date grows, so "over N months on D" is the
    same as "filed on or before this cut-off". Used where a line is not stored.
    """
    # Start from the naive inverse and step until the line crosses `as_of`.
    candidate = as_of - relativedelta(months=months)
    while line_date(candidate, months) >= as_of:
        candidate -= dt.timedelta(days=1)
    while line_date(candidate + dt.timedelta(days=1), months) < as_of:
        candidate += dt.timedelta(days=1)
    return candidate


# --- queryset expressions -----------------------------------------------------------------


def open_on_q(as_of: dt.date, prefix: str = "") -> Q:
    """Cases open on `as_of` (suspended included), judged by dates, not by today's status."""
    return Q(**{f"{prefix}filed_on__lte": as_of}) & (
        Q(**{f"{prefix}closed_on__isnull": True}) | Q(**{f"{prefix}closed_on__gt": as_of})
    )


def over_line_q(months: int, as_of: dt.date, prefix: str = "") -> Q:
    """Open on `as_of` and over N months (the line is before `as_of`)."""
    if months in STORED_LINES:
        over = Q(**{f"{prefix}line_{months}m__lt": as_of})
    elif months == 0:
        over = Q(**{f"{prefix}filed_on__lt": as_of})
    else:
        over = Q(**{f"{prefix}filed_on__lte": filed_cutoff(months, as_of)})
    return open_on_q(as_of, prefix) & over


def age_band_q(low: int, high: int | None, as_of: dt.date, prefix: str = "") -> Q:
    """Open cases over `low` months and not over `high` months on `as_of`.

    The first band (0–3) also holds cases filed on `as_of` itself (age 0).
    """
    q = open_on_q(as_of, prefix) if low == 0 else over_line_q(low, as_of, prefix)
    if high is not None:
        q &= ~over_line_q(high, as_of, prefix)
    return q


# The warning window: a number of days, or an expression giving each row's (e.g. its court's
# `F("court__warning_window_days")`, so that one query serves cases of courts that differ).
WarningDays = int | Expression | F


def _near_line_q(field: str, as_of: dt.date, warning_days: WarningDays) -> Q:
    """The line `field` is at most `warning_days` after `as_of` (line ≤ as_of + window)."""
    if isinstance(warning_days, int):
        return Q(**{f"{field}__lte": as_of + dt.timedelta(days=warning_days)})
    return Q(LessThanOrEqual(DaysBetween(F(field), Value(as_of, output_field=DateField())), warning_days))


def level_q(level: str, as_of: dt.date, warning_days: WarningDays = DEFAULT_WARNING_DAYS, prefix: str = "") -> Q:
    """Cases whose level on `as_of` is exactly `level`."""
    p = prefix
    open_q = open_on_q(as_of, p)
    over15 = Q(**{f"{p}line_15m__lt": as_of})
    near15 = _near_line_q(f"{p}line_15m", as_of, warning_days)
    over6 = Q(**{f"{p}line_6m__lt": as_of})
    near6 = _near_line_q(f"{p}line_6m", as_of, warning_days)
    if level == Level.CLOSED:
        return ~open_q
    if level == Level.OVER_15M:
        return open_q & over15
    if level == Level.APPROACHING_15M:
        return open_q & near15 & ~over15
    if level == Level.OVER_6M:
        return open_q & over6 & ~near15
    if level == Level.APPROACHING_6M:
        return open_q & near6 & ~over6
    if level == Level.NORMAL:
        return open_q & ~near6
    raise ValueError(f"unknown ageing level {level!r}")


def alerting_q(as_of: dt.date, warning_days: WarningDays = DEFAULT_WARNING_DAYS, prefix: str = "") -> Q:
    """Cases at one of the alerting levels on `as_of` (near or over a line): the union of
    `level_q` over `Level.ALERTING`, written as the one comparison it comes to (open, and the
    6-month line no later than the warning window's end), which the line index serves."""
    return open_on_q(as_of, prefix) & _near_line_q(f"{prefix}line_6m", as_of, warning_days)


def level_expression(as_of: dt.date, warning_days: WarningDays = DEFAULT_WARNING_DAYS, prefix: str = "") -> Case:
    """An annotation giving each case its level on `as_of` (same rule as `level_on`)."""
    return Case(
        *[
            When(level_q(level, as_of, warning_days, prefix), then=Value(level))
            for level in (Level.CLOSED, Level.OVER_15M, Level.APPROACHING_15M, Level.OVER_6M, Level.APPROACHING_6M)
        ],
        default=Value(Level.NORMAL),
        output_field=CharField(),
    )


# The columns `age_annotations()` adds, by `Ageing` attribute (a case has an `is_open` property).
AGE_COLUMNS = {
    "is_open": "ageing_is_open",
    "age_days": "ageing_days",
    "age_months": "ageing_months",
    "level": "ageing_level",
}


def measured_on_expression(as_of: dt.date, prefix: str = "") -> Greatest:
    """The day a case's age is measured on, as of `as_of` (as `age()`): `as_of`, or the closing
    date when closed by then; never before the filing date."""
    day = Case(
        When(Q(**{f"{prefix}closed_on__lte": as_of}), then=F(f"{prefix}closed_on")),
        default=Value(as_of, output_field=DateField()),
        output_field=DateField(),
    )
    return Greatest(day, F(f"{prefix}filed_on"), output_field=DateField())


def months_since_filing_expression(day, prefix: str = "") -> Cast:
    """`age_months_on(filed_on, day)` for a date expression `day` not before the filing date.

    As `age_months_on`: the calendar months from the filing month to `day`'s month, less one
    when that many months' line is after `day`. The line falls on the filing day-number, or on
    the month's last day when the month is shorter (filed on the 31st → the 30th), so it is
    after `day` when the filing day-number is greater than `day`'s and `day` is not its month's
    last day (the day after it is not a 1st). Day numbers only: no month is added in SQL.
    """
    filed = F(f"{prefix}filed_on")
    months = (ExtractYear(day) - ExtractYear(filed)) * Value(12) + ExtractMonth(day) - ExtractMonth(filed)
    month_end = Q(Exact(ExtractDay(AddDays(day, Value(1))), Value(1)))
    line_after_day = Q(GreaterThan(ExtractDay(filed), ExtractDay(day))) & ~month_end
    # PostgreSQL's EXTRACT gives numeric: the count is cast to an integer.
    return Cast(
        months - Case(When(line_after_day, then=Value(1)), default=Value(0), output_field=IntegerField()),
        output_field=IntegerField(),
    )


def age_annotations(
    as_of: dt.date, warning_days: WarningDays = DEFAULT_WARNING_DAYS, prefix: str = ""
) -> dict[str, Expression]:
    """`age()` as annotations of a case query, named by `AGE_COLUMNS`: open on `as_of`, age in
    days and in whole months (measured as `age()` measures them) and the level. A test proves
    they equal `age()` for thousands of generated cases and dates, on both databases."""
    measured = measured_on_expression(as_of, prefix)
    return {
        AGE_COLUMNS["is_open"]: ExpressionWrapper(open_on_q(as_of, prefix), output_field=BooleanField()),
        AGE_COLUMNS["age_days"]: DaysBetween(measured, F(f"{prefix}filed_on")),
        AGE_COLUMNS["age_months"]: months_since_filing_expression(measured, prefix),
        AGE_COLUMNS["level"]: level_expression(as_of, warning_days, prefix),
    }
