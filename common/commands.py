"""What the management commands share: a date option, checked like a reader's date."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import CommandError

from . import dates


def date_option(value: str | None, option: str = "--as-of") -> dt.date | None:
    """`YYYY-MM-DD` given to a command option, within the reading range; None when not given."""
    if not value:
        return None
    try:
        day = dates.parse_iso_date(value)
    except ValueError as exc:
        raise CommandError(f"{option} must be a date as YYYY-MM-DD, not {value!r}") from exc
    if not dates.in_read_range(day):
        raise CommandError(f"{option}: {dates.read_range_message()}")
    return day
