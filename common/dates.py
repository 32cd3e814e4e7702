"""The half of the date policy that knows no court: how a typed date is spelled, and the range of
dates a reader may ask about. The bounds that name a case's dates (filing, closing, a plan's
horizon) are the register's, in `cases.dates`, which also re-exports these names.

Spelling. A typed date -- a page's date field, an API field -- is an ISO 8601 calendar date with a
four-digit year and two-digit month and day in ASCII digits: `2024-03-01`. Anything else is refused
with a message (ISO_MESSAGE), not normalised. `parse_iso_date` is that parser; the forms'
`common.forms.IsoDateField` and the API's `cases.api.common.IsoDateField` both use it.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

ISO_MESSAGE = _("Enter the date as YYYY-MM-DD, for example 2024-03-01 (four-digit year, two-digit month and day).")

_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z", re.ASCII)


def parse_iso_date(text: str) -> dt.date:
    """`YYYY-MM-DD` with ASCII digits, else ValueError (the message for people is ISO_MESSAGE)."""
    if not isinstance(text, str) or not _ISO.match(text):
        raise ValueError(text)
    return dt.date.fromisoformat(text)


# `as_of` moves the ageing lines 15 months back, the dashboards a year back, the jobs a week or a
# month forward; `updated_since` is converted between time zones. At either end of Python's calendar
# (0001-01-01, 9999-12-31) each of these overflows into a 500, and PostgreSQL refuses UTC offsets
# beyond ±15:59 that Python accepts (±23:59). A date outside EARLIEST … LATEST is refused with a
# message naming the field, and an accepted moment is handed to the database in UTC.
#
# Used by the API's query parameters (cases.api.common, cases.api.filters), the dashboards' `as_of`
# (reports.views) and the jobs page (jobs.forms.RunJobForm).

# Wide enough that no date a court means is refused (a sync's "far future" sentinel included),
# narrow enough that every shift above stays inside the calendar.
READ_EARLIEST = dt.date(1900, 1, 1)
READ_LATEST = dt.date(2999, 12, 31)


def read_range_message() -> str:
    return gettext("Enter a date from %(earliest)s to %(latest)s.") % {
        "earliest": READ_EARLIEST.isoformat(),
        "latest": READ_LATEST.isoformat(),
    }


def in_read_range(day: dt.date) -> bool:
    return READ_EARLIEST <= day <= READ_LATEST


def moment_in_utc(when: dt.datetime) -> dt.datetime | None:
    """An aware `when` in UTC, or None when its date (as written, in its own offset) is out of range."""
    if not in_read_range(when.date()):
        return None
    return when.astimezone(dt.timezone.utc)


def validate_read_date(day: dt.date) -> None:
    """A form field's validator: refuse a date outside the range (the form names the field)."""
    if not in_read_range(day):
        raise ValidationError(read_range_message(), code="date_out_of_range")
