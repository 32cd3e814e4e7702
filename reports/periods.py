"""Calendar months as the bulletin reads them: "2025-05" runs from 1 to 31 May, as of the 31st.

Plain calendar helpers (first and last day of a month); the ageing lines stay in cases.ageing.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class Period(str):
    """A calendar month of the bulletin: the one type for it, everywhere past the edge.

    It is its own spelling, "YYYY-MM" (a `str`): stored, compared, sorted, sent to a task and
    shown as such, and it knows its days. Text from a person or a command becomes a Period at the
    edge (`Period.parse`: the command, the task, the API, the page), the database gives Periods
    back (`PeriodField`), and the services take Periods only.
    """

    def __new__(cls, year: int, month: int) -> Period:
        if not (1 <= month <= 12 and 1 <= year <= 9999):
            raise ValueError(f"no such month: {year}-{month}")
        return super().__new__(cls, f"{year:04d}-{month:02d}")

    def __getnewargs__(self) -> tuple[int, int]:  # pickling and copying
        return (self.year, self.month)

    def __repr__(self) -> str:
        return f"Period({self.year}, {self.month})"

    @property
    def year(self) -> int:
        return int(self[:4])

    @property
    def month(self) -> int:
        return int(self[5:7])

    @classmethod
    def parse(cls, value: str) -> Period:
        if isinstance(value, Period):
            return value
        match = _PERIOD.match(value.strip()) if isinstance(value, str) else None
        if not match:
            raise ValidationError({"period": [_("Enter a month as YYYY-MM, e.g. 2025-05.")]})
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def containing(cls, day: dt.date) -> Period:
        return cls(day.year, day.month)

    @classmethod
    def last_month(cls, today: dt.date) -> Period:
        return cls.containing(today).previous()

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def previous(self) -> Period:
        return Period(self.year - 1, 12) if self.month == 1 else Period(self.year, self.month - 1)

    def next(self) -> Period:
        return Period(self.year + 1, 1) if self.month == 12 else Period(self.year, self.month + 1)

    def a_year_earlier(self) -> Period:
        return Period(self.year - 1, self.month)


class PeriodField(models.CharField):
    """A Period in the database, as its "YYYY-MM" text (which sorts as the months do)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 7)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        return None if value is None else Period.parse(value)

    def to_python(self, value):
        if value is None or isinstance(value, Period):
            return value
        return Period.parse(value)


def month_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month's last day from `first` to `last`, both included."""
    out = []
    period = Period.containing(first)
    while period.last_day <= last:
        if period.last_day >= first:
            out.append(period.last_day)
        period = period.next()
    return out


def trend_dates(as_of: dt.date, months: int = 12) -> list[dt.date]:
    """The month ends of the `months - 1` months before `as_of`'s month, then `as_of` itself."""
    period = Period.containing(as_of)
    dates = [as_of]
    for _i in range(months - 1):
        period = period.previous()
        dates.append(period.last_day)
    return sorted(dates)
