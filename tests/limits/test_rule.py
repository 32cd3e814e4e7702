"""The pure rule: month arithmetic, excluded-day unions, working days, every procedure's row."""

import datetime as dt

import pytest

from limits import rule as limits
from limits.rule import add_length, clock_state, deadline, union_days

from .conftest import official

D = dt.date


def weekends(day):
    return day.weekday() < 5


def test_months_clip_to_month_end_and_filing_day_not_counted():
    assert add_length(D(2024, 3, 15), 6, "months") == D(2024, 9, 15)
    assert add_length(D(2023, 8, 31), 6, "months") == D(2024, 2, 29)  # leap year
    assert add_length(D(2022, 8, 31), 6, "months") == D(2023, 2, 28)
    assert add_length(D(2024, 2, 29), 12, "months") == D(2025, 2, 28)
    # 30 days from 31 January: 1 February is day 1, so day 30 is 1 March (2024 is leap).
    assert add_length(D(2024, 1, 31), 30, "days") == D(2024, 3, 1)
    assert add_length(D(2023, 1, 31), 30, "days") == D(2023, 3, 2)


def test_union_of_overlapping_periods_counts_each_day_once():
    assert union_days([]) == 0
    assert union_days([(D(2024, 1, 1), D(2024, 1, 10))]) == 10
    assert union_days([(D(2024, 1, 1), D(2024, 1, 10)), (D(2024, 1, 5), D(2024, 1, 12))]) == 12
    assert union_days([(D(2024, 1, 1), D(2024, 1, 31)), (D(2024, 1, 5), D(2024, 1, 6))]) == 31
    assert union_days([(D(2024, 1, 1), D(2024, 1, 1)), (D(2024, 1, 3), D(2024, 1, 3))]) == 2


def test_open_period_counts_up_to_the_as_of_date():
    state = clock_state(D(2024, 3, 15), (6, "months"), (), [(D(2024, 4, 1), None)])
    assert state.paused_from == D(2024, 4, 1)
    assert limits.raw_on(state, D(2024, 3, 31)) == D(2024, 9, 15)  # not begun yet
    assert limits.raw_on(state, D(2024, 4, 1)) == D(2024, 9, 16)  # one day counted
    assert limits.raw_on(state, D(2024, 4, 10)) == D(2024, 9, 25)
    assert limits.excluded_days_on(state, D(2024, 4, 10)) == 10


def test_open_period_overlapping_closed_ones_counts_once():
    periods = [(D(2024, 4, 1), D(2024, 4, 20)), (D(2024, 4, 10), None)]
    state = clock_state(D(2024, 3, 15), (6, "months"), (), periods)
    # Closed 1–20 April; running from the 10th: nothing new until the 21st.
    assert state.excluded_days == 20 and state.paused_from == D(2024, 4, 21)
    assert limits.excluded_days_on(state, D(2024, 4, 25)) == 25
    assert deadline(D(2024, 3, 15), (6, "months"), (), periods, D(2024, 4, 25), weekends) == D(2024, 10, 10)


def test_extensions_are_added_in_order_with_month_clipping():
    # Filed 31 August: +6 months → 29 Feb 2024, +6 months → 29 Aug 2024, +3 → 29 Nov 2024.
    assert limits.nominal_end(D(2023, 8, 31), (6, "months"), [(6, "months"), (3, "months")]) == D(2024, 11, 29)


def test_weekend_moves_to_monday():
    # 2024-03-16 is a Saturday.
    assert deadline(D(2023, 9, 16), (6, "months"), (), (), D(2024, 1, 1), official) == D(2024, 3, 18)


def test_spring_festival_2024_moves_to_the_make_up_sunday():
    # 6 months from 10 Aug 2023 → Sat 10 Feb 2024, in the Spring Festival holiday (10–17 Feb);
    # Sunday 18 Feb is a make-up working day, so the period ends then.
    assert deadline(D(2023, 8, 10), (6, "months"), (), (), D(2024, 1, 1), official) == D(2024, 2, 18)
    assert deadline(D(2023, 8, 14), (6, "months"), (), (), D(2024, 1, 1), official) == D(2024, 2, 18)


def test_make_up_sunday_is_a_working_day():
    # Sunday 4 Feb 2024 is a make-up working day: the period ends on it.
    assert deadline(D(2023, 8, 4), (6, "months"), (), (), D(2024, 1, 1), official) == D(2024, 2, 4)
    # With weekends only it would move to Monday.
    assert deadline(D(2023, 8, 4), (6, "months"), (), (), D(2024, 1, 1), weekends) == D(2024, 2, 5)


def test_national_day_golden_week():
    # 2 months from 1 Aug 2024 → 1 Oct 2024 (National Day 1–7 Oct; 12 Oct is a make-up Saturday).
    assert deadline(D(2024, 8, 1), (2, "months"), (), (), D(2024, 9, 1), official) == D(2024, 10, 8)


# Every row of the seeded table, on a month end and a leap day: (rule name, filed, expected deadline).
EVERY_PROCEDURE = [
    ("民事一审普通程序", D(2023, 8, 31), D(2024, 2, 29)),  # leap day, Thursday
    ("民事一审简易程序", D(2023, 11, 30), D(2024, 2, 29)),
    ("民事小额诉讼", D(2023, 12, 31), D(2024, 2, 29)),
    ("民事特别程序", D(2024, 1, 30), D(2024, 2, 29)),  # 30 days
    ("民事二审（判决上诉）", D(2023, 11, 30), D(2024, 2, 29)),
    ("民事二审（裁定上诉）", D(2024, 1, 30), D(2024, 2, 29)),
    ("刑事一审公诉", D(2023, 12, 31), D(2024, 2, 29)),
    ("刑事简易程序", D(2024, 2, 9), D(2024, 2, 29)),  # 20 days
    ("刑事速裁程序", D(2024, 2, 19), D(2024, 2, 29)),  # 10 days
    ("刑事自诉（被告人未羁押）", D(2023, 8, 31), D(2024, 2, 29)),
    ("刑事二审", D(2023, 12, 31), D(2024, 2, 29)),
    ("行政一审", D(2023, 8, 31), D(2024, 2, 29)),
    ("行政一审简易程序", D(2024, 1, 15), D(2024, 2, 29)),  # 45 days
    ("行政二审", D(2023, 11, 30), D(2024, 2, 29)),
    ("执行", D(2023, 8, 31), D(2024, 2, 29)),
    ("非诉行政执行审查", D(2023, 11, 30), D(2024, 2, 29)),
    # Month ends in a common year: 31 Aug 2022 + 6 months → Tue 28 Feb 2023.
    ("民事一审普通程序", D(2022, 8, 31), D(2023, 2, 28)),
    ("执行", D(2022, 8, 31), D(2023, 2, 28)),
    # 30 April + 2 months → 30 June 2024, a Sunday → Monday 1 July.
    ("刑事一审公诉", D(2024, 4, 30), D(2024, 7, 1)),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "filed", "expected"), EVERY_PROCEDURE)
def test_every_procedure_on_month_ends_and_leap_days(name, filed, expected):
    from limits.models import LimitRule

    rule = LimitRule.objects.get(name=name)
    assert deadline(filed, (rule.base_length, rule.base_unit), (), (), filed, official) == expected


@pytest.mark.django_db
def test_every_seeded_rule_is_covered():
    from limits.models import LimitRule

    assert set(LimitRule.objects.values_list("name", flat=True)) == {name for name, _f, _e in EVERY_PROCEDURE}


def test_days_remaining_and_status():
    assert limits.days_remaining(D(2024, 9, 18), D(2024, 9, 18)) == 0
    assert limits.days_remaining(D(2024, 9, 18), D(2024, 9, 19)) == -1
    assert limits.limit_status(-1) == "overdue"
    assert limits.limit_status(0) == "warning"
    assert limits.limit_status(30) == "warning"
    assert limits.limit_status(31) == "within"
