"""The pure rule and the queryset expressions agree, for many generated cases and dates."""

import datetime as dt
import random

import pytest

from cases.models import Case
from limits import rule as limits
from limits import services as limits_services
from limits.calendar import working_calendar
from limits.models import ExcludedPeriod, Extension, LimitRule
from tests.factories import CaseFactory

D = dt.date
pytestmark = pytest.mark.django_db

TYPES = [
    ("民初", "civil", "first_instance", ["ordinary", "simple", "small_claims"]),
    ("民特", "civil", "special", ["special"]),
    ("民终", "civil", "second_instance", ["ordinary"]),
    ("刑初", "criminal", "first_instance", ["ordinary", "simple", "fast_track"]),
    ("刑终", "criminal", "second_instance", ["ordinary"]),
    ("行初", "administrative", "first_instance", ["ordinary", "simple"]),
    ("执", "enforcement", "enforcement", ["other"]),
    ("民保", "civil", "preservation", ["other"]),  # no time limit
]


def build(rng: random.Random, division, handler, n: int = 160) -> list[tuple[Case, list, list]]:
    out = []
    for _n in range(n):
        code, category, stage, procedures = rng.choice(TYPES)
        filed = D(2023, 1, 1) + dt.timedelta(days=rng.randrange(0, 700))
        case = CaseFactory(
            court=division.court,
            division=division,
            handler=handler,
            filed_on=filed,
            case_type=code,
            category=category,
            stage=stage,
            procedure=rng.choice(procedures),
        )
        periods = []
        cursor = filed
        for _p in range(rng.choice([0, 0, 1, 2, 3])):
            start = cursor + dt.timedelta(days=rng.randrange(0, 60))
            end = None if rng.random() < 0.3 else start + dt.timedelta(days=rng.randrange(0, 90))
            reason = rng.choice(["appraisal", "public_notice", "auction", "jurisdiction_objection", "audit_valuation"])
            if any(r == reason for r, _s, _e in periods):
                continue
            # Periods of different kinds may overlap; one running period per kind.
            periods.append((reason, start, end))
            cursor = start + dt.timedelta(days=rng.randrange(0, 40))
        for reason, start, end in periods:
            ExcludedPeriod.objects.create(case=case, reason_code=reason, start=start, end=end, reason="r")
        extensions = []
        if rng.random() < 0.3:
            Extension.objects.create(
                case=case,
                step=1,
                length=1,
                unit="months",
                reason="r",
                status="approved",
                requested_on=filed,
                decided_on=filed,
            )
            extensions.append((1, "months"))
        if rng.random() < 0.25:
            case.closed_on = filed + dt.timedelta(days=rng.randrange(1, 500))
            case.status, case.closure_method = "closed", "judgment"
            # A closing ends running periods on the closing day (the service does it).
            for p in ExcludedPeriod.objects.filter(case=case, end__isnull=True):
                if p.start > case.closed_on:
                    p.delete()
                else:
                    p.end = case.closed_on
                    p.save()
            case.save()
        limits_services.recompute_clock(case, today=D(2026, 11, 27))
        out.append((case, list(ExcludedPeriod.objects.filter(case=case).values_list("start", "end")), extensions))
    return out


def test_pure_function_equals_queryset_for_generated_cases(division, handler):
    rng = random.Random(20240229)
    built = build(rng, division, handler)
    rules = list(LimitRule.objects.all())
    is_working = working_calendar(D(2023, 1, 1), D(2028, 12, 31))
    checked = 0
    for as_of in [D(2024, 1, 1), D(2024, 6, 30), D(2025, 2, 10), D(2025, 12, 31), D(2026, 11, 27)]:
        rows = {
            r["id"]: r
            for r in limits.annotate_clock(Case.objects.all(), as_of).values(
                "id", "limit_deadline", "days_remaining", "limit_status"
            )
        }
        for case, periods, extensions in built:
            row = rows[case.pk]
            rule = limits.pick_rule(rules, case.category, case.stage, case.procedure)
            open_on = case.filed_on <= as_of and (case.closed_on is None or case.closed_on > as_of)
            if rule is None or not open_on:
                assert row["limit_deadline"] is None and row["days_remaining"] is None, case
                continue
            # The exact rule is defined for as-of dates on or after the last recorded day.
            last_recorded = max([e for _s, e in periods if e is not None], default=case.filed_on)
            if as_of < last_recorded:
                continue
            expected = limits.deadline(
                case.filed_on, (rule.base_length, rule.base_unit), extensions, periods, as_of, is_working
            )
            remaining = limits.days_remaining(expected, as_of)
            assert row["limit_deadline"] == expected, (case.pk, periods, as_of)
            assert row["days_remaining"] == remaining
            assert row["limit_status"] == limits.limit_status(remaining)
            checked += 1
    assert checked > 200


def test_stored_deadline_of_a_closed_case_is_measured_at_closing(division, handler):
    rng = random.Random(7)
    for case, periods, extensions in build(rng, division, handler, 60):
        case.refresh_from_db()
        if case.closed_on is None or case.limit_rule is None:
            continue
        rule = case.limit_rule
        assert case.deadline == limits.deadline(
            case.filed_on,
            (rule.base_length, rule.base_unit),
            extensions,
            periods,
            case.closed_on,
            working_calendar(D(2023, 1, 1), D(2028, 12, 31)),
        )


def test_daily_refresh_is_set_based_and_idempotent(division, handler, django_assert_max_num_queries):
    rng = random.Random(3)
    build(rng, division, handler, 60)
    with django_assert_max_num_queries(2):
        first = limits_services.refresh_deadlines(D(2026, 11, 28))
    before = dict(Case.objects.values_list("id", "deadline"))
    limits_services.refresh_deadlines(D(2026, 11, 28))
    assert dict(Case.objects.values_list("id", "deadline")) == before
    assert first == Case.objects.filter(limit_paused_from__isnull=False, closed_on__isnull=True).count()
    # The refreshed stored deadline is the expression's value on that day.
    rows = limits.annotate_clock(Case.objects.filter(closed_on__isnull=True), D(2026, 11, 28)).values_list(
        "deadline", "limit_deadline"
    )
    assert all(stored == computed for stored, computed in rows if computed is not None)
