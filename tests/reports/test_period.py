"""The bulletin's month is one type, Period, which is its own "YYYY-MM" text."""

from __future__ import annotations

import copy
import datetime as dt
import json
import pickle

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from reports.models import Bulletin
from reports.periods import Period

months = st.builds(Period, st.integers(1900, 2999), st.integers(1, 12))


@given(months, months)
def test_a_period_sorts_compares_and_reads_as_its_text(a, b):
    assert str(a) == f"{a.year:04d}-{a.month:02d}" and Period.parse(str(a)) == a
    assert (a < b) == ((a.year, a.month) < (b.year, b.month))
    assert a.first_day <= a.last_day < a.next().first_day
    assert a.next().previous() == a and a.last_day.month == a.month
    assert pickle.loads(pickle.dumps(a)) == a and copy.deepcopy(a) == a and json.loads(json.dumps(a)) == a


def test_text_from_outside_becomes_a_period_at_the_edge_or_is_refused():
    assert Period.parse(" 2025-05 ") == Period(2025, 5) == "2025-05"
    assert Period.last_month(dt.date(2025, 1, 10)) == Period(2024, 12)
    for wrong in ("2025-5", "2025-13", "25-05", "２０２５-０５", ""):
        with pytest.raises(ValidationError):
            Period.parse(wrong)
    with pytest.raises(ValueError):
        Period(2025, 0)


@pytest.mark.django_db
def test_the_database_gives_periods_back(court):
    Bulletin.objects.create(court=court, period=Period(2025, 2), as_of=dt.date(2025, 2, 28), built_at=timezone.now())
    stored = Bulletin.objects.get()
    assert type(stored.period) is Period and stored.period.last_day == dt.date(2025, 2, 28)
    assert list(Bulletin.objects.values_list("period", flat=True)) == [Period(2025, 2)]
    assert Bulletin.objects.filter(period__lt=Period(2025, 3)).count() == 1
