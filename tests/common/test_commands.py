"""The date option every job command shares (common.commands.date_option)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from common.commands import date_option


def test_a_date_option_is_iso_and_within_the_reading_range():
    assert date_option(None) is None and date_option("") is None
    assert date_option("2026-11-27") == dt.date(2026, 11, 27)
    for wrong in ("2026-11-7", "２０２６-１１-２７", "20261127", "2026-02-30"):
        with pytest.raises(CommandError, match="--as-of must be a date as YYYY-MM-DD"):
            date_option(wrong)
    with pytest.raises(CommandError, match="--to: .*1900-01-01.*2999-12-31"):
        date_option("5605-01-15", "--to")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "command, args",
    [
        ("track_daily", ["--as-of", "0001-01-01"]),
        ("dispatch_weekly", ["--as-of", "9999-12-27"]),
        ("snapshot_figures", ["--from", "2024-1-31"]),
    ],
)
def test_every_job_command_refuses_a_date_it_cannot_use(command, args):
    with pytest.raises(CommandError, match="YYYY-MM-DD|1900-01-01"):
        call_command(command, *args)
