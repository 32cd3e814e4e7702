"""The index-friendly spellings the daily job scans by select exactly what the rule selects."""

import datetime as dt
import random

import pytest
from django.db.models import Q

from alerts.limits import cases_at_levels, cases_near_levels, level_expression, near_arms
from cases.models import Case
from limits import rule as limits
from tests.limits.test_function_equals_queryset import build

D = dt.date
pytestmark = pytest.mark.django_db

AS_OF = [D(2023, 6, 1), D(2024, 1, 1), D(2024, 6, 30), D(2025, 2, 10), D(2025, 12, 31), D(2026, 11, 28)]


def _ids(q: Q) -> set[int]:
    return set(Case.objects.filter(q).values_list("pk", flat=True))


def test_open_on_parts_split_open_on_q(division, handler):
    build(random.Random(11), division, handler, 80)
    for as_of in AS_OF:
        still_open, closed_later = limits.open_on_parts(as_of)
        assert not _ids(still_open) & _ids(closed_later)
        assert _ids(still_open) | _ids(closed_later) == _ids(limits.open_on_q(as_of))


def test_near_arms_find_every_case_at_a_level(division, handler):
    build(random.Random(12), division, handler, 120)
    court = division.court
    for as_of in AS_OF:
        arms = [set(cases_near_levels(court, as_of, arm).values_list("pk", flat=True)) for arm in near_arms(as_of)]
        assert sum(len(arm) for arm in arms) == len(set().union(*arms)), "the arms are disjoint"
        # Every open case at a level, computed over all cases without the stored-deadline shortcut.
        everywhere = (
            limits.annotate_clock(Case.objects.filter(court=court).filter(limits.open_on_q(as_of)), as_of)
            .annotate(limit_level=level_expression())
            .exclude(limit_level="")
            .values_list("pk", "limit_level", "limit_deadline")
        )
        found = cases_at_levels(court, as_of).values_list("pk", "limit_level", "limit_deadline")
        assert set(found) == set(everywhere), as_of
        assert set(everywhere), "some cases are at a level"
