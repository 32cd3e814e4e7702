"""The one policy for dates that people and integrations enter (docs/API.md, "Dates").

Spelling (`2024-03-01` only) and the range of dates a reader may ask about are common/dates.py,
re-exported here so that callers name one module.

Bounds. Every write service checks its dates here (so pages, API, bulk upsert and file imports
get the same answer). "Today" is the local date in the court's time zone (Asia/Shanghai,
`timezone.localdate()`).

* A date that records what happened -- filing, closing, the day a case was suspended, resumed,
  transferred or changed procedure, an excluded period's first and last day, an extension's
  request and decision -- lies between a lower bound (the filing date, or a later day the
  record names: the start of the suspension being resumed, the request being decided …) and
  today. A filing date itself is not before EARLIEST.
* A date that is a plan -- a clearance plan's expected closing date, the new expected closing
  date in an answer to an urging notice -- lies after today and no later than the horizon:
  `PLAN_HORIZON_MONTHS` (default 36) months from today. An acting head's period lies between
  EARLIEST and the horizon. (No better bound exists yet: the case's statutory deadline is not
  one, since plans are written for cases that may already be past it.)

Errors are messages naming the bound ("不得早于立案日期 2024-03-01。"), put by the services into
their ValidationError under the field's name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from common.dates import (  # noqa: F401  (re-exported: the policy's callers name one module)
    ISO_MESSAGE,
    READ_EARLIEST,
    READ_LATEST,
    Bound,
    check,
    in_read_range,
    moment_in_utc,
    parse_iso_date,
    parse_spreadsheet_date,
    read_range_message,
    validate_read_date,
)

# No case of a people's court is filed before the People's Republic was founded.
EARLIEST = dt.date(1949, 10, 1)

# --- bounds ----------------------------------------------------------------------------------


def earliest_filing() -> Bound:
    return Bound(EARLIEST, _("Cannot be before %(date)s."))


def not_before_filing(filed_on: dt.date) -> Bound:
    return Bound(filed_on, _("Cannot be before the filing date %(date)s."))


def not_after_today(day: dt.date) -> Bound:
    return Bound(day, _("Cannot be after today (%(date)s)."))


def not_after_closing(closed_on: dt.date) -> Bound:
    return Bound(closed_on, _("Cannot be after the closing date %(date)s."))


def not_before_first_day(start: dt.date) -> Bound:
    return Bound(start, _("Cannot be before the first day %(date)s."))


def not_before_suspension(start: dt.date) -> Bound:
    return Bound(start, _("Cannot be before the start of the suspension, %(date)s."))


def after_previous_suspension(last_day: dt.date) -> Bound:
    # (A last day of 9999-12-31, written before this policy, must not overflow.)
    return Bound(
        last_day + dt.timedelta(days=1) if last_day < dt.date.max else last_day,
        _("The previous suspension ran until %(end)s: the earliest day is %(date)s."),
        {"end": last_day.isoformat()},
    )


def not_before_request(requested_on: dt.date) -> Bound:
    return Bound(requested_on, _("Cannot be before the request date %(date)s."))


def after_today(day: dt.date) -> Bound:
    return Bound(day + dt.timedelta(days=1), _("Must be after today (%(today)s)."), {"today": day.isoformat()})


def plan_horizon_months() -> int:
    return int(getattr(settings, "PLAN_HORIZON_MONTHS", 36))


def horizon(day: dt.date) -> dt.date:
    """The last day a plan may name: PLAN_HORIZON_MONTHS months after `day`, clipped to the
    month's end like every month count here."""
    return day + relativedelta(months=plan_horizon_months())


def not_after_horizon(day: dt.date) -> Bound:
    return Bound(
        horizon(day),
        _("Cannot be after %(date)s (%(months)s months from today)."),
        {"months": plan_horizon_months()},
    )


def happened(
    day: dt.date, *, since: Bound | Iterable[Bound], today: dt.date, until: Iterable[Bound] = ()
) -> str | None:
    """A date that records what happened: not before `since`, not after today (nor `until`)."""
    earliest = [since] if isinstance(since, Bound) else list(since)
    return check(day, earliest=earliest, latest=[not_after_today(today), *until])


def planned(day: dt.date, *, today: dt.date) -> str | None:
    """A date that is a plan: after today, not after the horizon."""
    return check(day, earliest=[after_today(today)], latest=[not_after_horizon(today)])
