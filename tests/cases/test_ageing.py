"""The ageing rule: boundaries, and the function and the queryset (levels, bands and every field of
`age()` as annotations) agreeing on both databases."""

import datetime as dt
import random

import pytest
from django.db.models import F

from cases import ageing
from cases.ageing import Level
from cases.models import Case, Court, Division

D = dt.date


@pytest.mark.parametrize(
    ("filed", "months", "line"),
    [
        (D(2024, 8, 31), 6, D(2025, 2, 28)),
        (D(2023, 8, 31), 6, D(2024, 2, 29)),  # leap year
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 2, 29), 15, D(2025, 5, 29)),
        (D(2024, 3, 15), 6, D(2024, 9, 15)),
        (D(2024, 12, 31), 15, D(2026, 3, 31)),
        (D(2024, 5, 31), 15, D(2025, 8, 31)),
        (D(2024, 1, 30), 1, D(2024, 2, 29)),
    ],
)
def test_line_is_clipped_to_month_end(filed, months, line):
    assert ageing.line_date(filed, months) == line


@pytest.mark.parametrize(
    ("as_of", "level"),
    [
        (D(2024, 8, 15), Level.NORMAL),
        (D(2024, 8, 16), Level.APPROACHING_6M),
        (D(2024, 9, 15), Level.APPROACHING_6M),  # the line day: exactly 6 months, not over
        (D(2024, 9, 16), Level.OVER_6M),
        (D(2025, 5, 15), Level.OVER_6M),
        (D(2025, 5, 16), Level.APPROACHING_15M),
        (D(2025, 6, 15), Level.APPROACHING_15M),
        (D(2025, 6, 16), Level.OVER_15M),
    ],
)
def test_levels_of_the_domain_example(as_of, level):
    assert ageing.age(D(2024, 3, 15), None, as_of).level == level


def test_age_in_days_and_months():
    a = ageing.age(D(2024, 3, 15), None, D(2024, 9, 15))
    assert (a.age_days, a.age_months) == (184, 6)
    assert ageing.age(D(2024, 3, 15), None, D(2024, 9, 14)).age_months == 5
    # Filed 31 August: one month on 30 September.
    assert ageing.age(D(2024, 8, 31), None, D(2024, 9, 30)).age_months == 1
    assert ageing.age(D(2024, 8, 31), None, D(2024, 9, 29)).age_months == 0


def test_closed_case_is_measured_at_its_closing_date():
    a = ageing.age(D(2024, 3, 15), D(2024, 10, 1), D(2025, 12, 1))
    assert a.level == Level.CLOSED and not a.is_open
    assert a.age_days == (D(2024, 10, 1) - D(2024, 3, 15)).days
    assert a.age_months == 6


def test_a_case_closed_later_was_open_on_an_earlier_date():
    a = ageing.age(D(2024, 3, 15), D(2025, 1, 10), D(2024, 12, 31))
    assert a.is_open and a.level == Level.OVER_6M
    assert ageing.age(D(2024, 3, 15), D(2025, 1, 10), D(2025, 1, 10)).level == Level.CLOSED


def test_not_yet_filed_is_not_open():
    assert ageing.age(D(2024, 3, 15), None, D(2024, 3, 14)).level == Level.CLOSED


def test_warning_window_is_a_setting():
    assert ageing.age(D(2024, 3, 15), None, D(2024, 9, 1), warning_days=10).level == Level.NORMAL
    assert ageing.age(D(2024, 3, 15), None, D(2024, 9, 5), warning_days=10).level == Level.APPROACHING_6M


@pytest.mark.parametrize("months", [3, 6, 12, 15, 18])
def test_filed_cutoff_inverts_the_line(months):
    rng = random.Random(months)
    for _ in range(400):
        as_of = D(2022, 1, 1) + dt.timedelta(days=rng.randint(0, 1500))
        cutoff = ageing.filed_cutoff(months, as_of)
        assert ageing.line_date(cutoff, months) < as_of
        assert ageing.line_date(cutoff + dt.timedelta(days=1), months) >= as_of


def _edge_dates(rng: random.Random, n: int) -> list[dt.date]:
    """Filing dates heavy on month ends and leap days, plus random ones."""
    dates = []
    for year in (2020, 2023, 2024):
        for month in range(1, 13):
            first = D(year, month, 1)
            last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
            dates += [first, last, last - dt.timedelta(days=1), last - dt.timedelta(days=2)]
    dates.append(D(2024, 2, 29))
    while len(dates) < n:
        dates.append(D(2020, 1, 1) + dt.timedelta(days=rng.randint(0, 2000)))
    return dates


def _as_of_dates(filed_dates: list[dt.date], rng: random.Random) -> list[dt.date]:
    """Each line day, the day before and the day after, the window edges, plus random days."""
    days: set[dt.date] = set()
    for f in filed_dates[:60]:
        for m in (6, 15):
            line = ageing.line_date(f, m)
            for delta in (-31, -30, -29, -11, -10, -9, -1, 0, 1):
                days.add(line + dt.timedelta(days=delta))
    days |= {D(2020, 1, 1) + dt.timedelta(days=rng.randint(0, 2400)) for _ in range(40)}
    return sorted(days)


def _check_agreement(using: str) -> int:
    rng = random.Random(20241)
    court = Court.objects.using(using).create(name="测试法院", code="黔0281")
    # A second court warns 10 days ahead: age_annotations reads each case's court's window.
    near = Court.objects.using(using).create(name="邻近法院", code="黔0282", warning_window_days=10)
    divisions = {
        c.pk: Division.objects.using(using).create(court=c, code=f"civil-{c.code}", name="民一庭", kind="civil")
        for c in (court, near)
    }
    filed = _edge_dates(rng, 2500)
    cases = []
    for i, f in enumerate(filed):
        closed = None if rng.random() < 0.6 else f + dt.timedelta(days=rng.randint(0, 800))
        case_court = near if i % 3 == 0 else court
        cases.append(
            Case(
                court=case_court,
                division=divisions[case_court.pk],
                case_number=f"（{f.year}）{case_court.code}民初{i + 1}号",
                year=f.year,
                court_code=case_court.code,
                case_type="民初",
                seq=i + 1,
                category="civil",
                stage="first_instance",
                filed_on=f,
                status="closed" if closed else "open",
                closed_on=closed,
                closure_method="judgment" if closed else "",
                **ageing.lines_for(f),
            )
        )
    Case.objects.using(using).bulk_create(cases)
    by_id = {c.case_number: c for c in cases}
    checked = 0
    columns = list(ageing.AGE_COLUMNS.values())
    for as_of in _as_of_dates(filed, rng)[::6]:
        rows = (
            Case.objects.using(using)
            .annotate(
                level=ageing.level_expression(as_of),
                **ageing.age_annotations(as_of, F("court__warning_window_days")),
            )
            .values_list("case_number", "level", *columns)
        )
        for number, level, *annotated in rows:
            c = by_id[number]
            assert level == ageing.age(c.filed_on, c.closed_on, as_of).level, (number, as_of)
            # Every field of age(), on the case's own court's warning window.
            a = ageing.age(c.filed_on, c.closed_on, as_of, c.court.warning_window_days)
            assert annotated == [a.is_open, a.age_days, a.age_months, a.level], (number, as_of)
            checked += 1
        for low, high in [(0, 3), (6, 12), (15, 18), (18, None)]:
            in_band = set(
                Case.objects.using(using)
                .filter(ageing.age_band_q(low, high, as_of))
                .values_list("case_number", flat=True)
            )
            expected = set()
            for c in cases:
                if not ageing.is_open_on(c.filed_on, c.closed_on, as_of):
                    continue
                over_low = low == 0 or ageing.line_date(c.filed_on, low) < as_of
                over_high = high is not None and ageing.line_date(c.filed_on, high) < as_of
                if over_low and not over_high:
                    expected.add(c.case_number)
            assert in_band == expected, (low, high, as_of)
    return checked


@pytest.mark.django_db
def test_function_and_queryset_agree_on_postgresql():
    assert _check_agreement("default") > 50_000


@pytest.mark.django_db(databases=["default", "sqlite"])
def test_function_and_queryset_agree_on_sqlite():
    assert _check_agreement("sqlite") > 50_000
