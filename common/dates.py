"""Dates as people and integrations spell them, and the range of dates a reader may ask about.

Spelling. A typed date -- a page's date field, an API field -- is an ISO 8601 calendar date
with a four-digit year and two-digit month and day in ASCII digits: `2024-03-01`. Anything
else (`2024-3-1`, full-width digits `２０２４-０３-０１`, `20240301`, week dates, a time) is
refused with a message, not normalised: a browser's date field always sends this form, and an
integration should learn that it sent something else rather than have it guessed.
`parse_iso_date` is that parser; the forms' `common.forms.IsoDateField` and the API's
`common.api.IsoDateField` both use it. Spreadsheet imports are the one place where other
spellings people type in cells are normalised, explicitly: `parse_spreadsheet_date`.

Which dates are allowed for what is the domain's policy (cases/dates.py); `Bound` and `check`
are the shape of that policy.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

ISO_MESSAGE = _("Enter the date as YYYY-MM-DD, for example 2024-03-01 (four-digit year, two-digit month and day).")

_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z", re.ASCII)


def today() -> dt.date:
    """Today in the court's time zone."""
    return timezone.localdate()


def parse_iso_date(text: str) -> dt.date:
    """`YYYY-MM-DD` with ASCII digits, else ValueError (the message for people is ISO_MESSAGE)."""
    if not isinstance(text, str) or not _ISO.match(text):
        raise ValueError(text)
    return dt.date.fromisoformat(text)


# The spellings of a date accepted in a spreadsheet cell (after full-width characters are made
# half-width): 2024-03-01, 2024-3-1, 2024/3/1, 2024.3.1, 2024年3月1日, with an optional time after
# a space. The year always has four digits.
_SPREADSHEET_FORMS = [
    re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})\Z"),
    re.compile(r"([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})\Z"),
    re.compile(r"([0-9]{4})\.([0-9]{1,2})\.([0-9]{1,2})\Z"),
    re.compile(r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日\Z"),
]


def parse_spreadsheet_date(value: Any) -> dt.date:
    """A date cell of an imported file: a spreadsheet date, or text in one of the spellings
    above (full-width digits are normalised); else ValueError."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ValueError(value)
    text = unicodedata.normalize("NFKC", value).strip().split(" ")[0]
    for form in _SPREADSHEET_FORMS:
        match = form.match(text)
        if match:
            return dt.date(*(int(g) for g in match.groups()))
    raise ValueError(value)


# --- bounds ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bound:
    """A first or last allowed day, with the message that names it (`%(date)s` is the day)."""

    day: dt.date
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def error(self) -> str:
        return gettext(self.message) % {"date": self.day.isoformat(), **self.params}


def check(day: dt.date, *, earliest: Iterable[Bound] = (), latest: Iterable[Bound] = ()) -> str | None:
    """The message for `day` outside its bounds (the tightest bound it breaks), else None."""
    lower = max(earliest, key=lambda bound: bound.day, default=None)
    if lower is not None and day < lower.day:
        return lower.error()
    upper = min(latest, key=lambda bound: bound.day, default=None)
    if upper is not None and day > upper.day:
        return upper.error()
    return None


# --- dates a reader asks about ------------------------------------------------------------
# The dates a reader may ask about: one range for every date that reaches date arithmetic.
#
# `as_of` moves the ageing lines 15 months back, the dashboards a year back, the jobs a week or a
# month forward; `updated_since` is converted between time zones. At either end of Python's calendar
# (0001-01-01, 9999-12-31) each of these overflows into a 500, and PostgreSQL refuses UTC offsets
# beyond ±15:59 that Python accepts (±23:59). A date outside EARLIEST … LATEST is refused with a
# message naming the field, and an accepted moment is handed to the database in UTC.
#
# Used by the API's query parameters (common.api, common.filters), the dashboards' `as_of`
# (reports.views) and the jobs page (the jobs page's form).

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
