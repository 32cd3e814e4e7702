"""The dates a reader may ask about: one range for every date that reaches date arithmetic.

`as_of` moves the ageing lines 15 months back, the dashboards a year back, the jobs a week or a
month forward; `updated_since` is converted between time zones. At either end of Python's calendar
(0001-01-01, 9999-12-31) each of these overflows into a 500, and PostgreSQL refuses UTC offsets
beyond ±15:59 that Python accepts (±23:59). A date outside EARLIEST … LATEST is refused with a
message naming the field, and an accepted moment is handed to the database in UTC.

Used by the API's query parameters (cases.api.common, cases.api.filters), the dashboards' `as_of`
(reports.views) and the jobs page (alerts.forms.RunJobForm).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Wide enough that no date a court means is refused (a sync's "far future" sentinel included),
# narrow enough that every shift above stays inside the calendar.
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2999, 12, 31)


def message() -> str:
    return _("Enter a date from %(earliest)s to %(latest)s.") % {
        "earliest": EARLIEST.isoformat(),
        "latest": LATEST.isoformat(),
    }


def contains(day: dt.date) -> bool:
    return EARLIEST <= day <= LATEST


def moment_in_utc(when: dt.datetime) -> dt.datetime | None:
    """An aware `when` in UTC, or None when its date (as written, in its own offset) is out of range."""
    if not contains(when.date()):
        return None
    return when.astimezone(dt.timezone.utc)


def validate(day: dt.date) -> None:
    """A form field's validator: refuse a date outside the range (the form names the field)."""
    if not contains(day):
        raise ValidationError(message(), code="date_out_of_range")
