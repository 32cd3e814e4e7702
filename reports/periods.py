"""Calendar months as the bulletin reads them: "2025-05" runs from 1 to 31 May, as of the 31st.

Plain calendar helpers (first and last day of a month); the ageing lines stay in cases.ageing.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, order=True)
class Period:
    year: int
    month: int

    @classmethod
    def parse(cls, value: str) -> Period:
        match = _PERIOD.match(value.strip())
        if not match:
            raise ValidationError({"period": [_("Enter a month as YYYY-MM, e.g. 2025-05.")]})
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def containing(cls, day: dt.date) -> Period:
        return cls(day.year, day.month)

    @classmethod
    def last_month(cls, today: dt.date) -> Period:
        return cls.containing(today).previous()

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

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
