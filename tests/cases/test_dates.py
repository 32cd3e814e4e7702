"""The one policy for entered dates (cases.dates): its parsers, its bounds, and -- as a
property over generated dates around every bound -- that each write service accepts a date
exactly when it lies within its bounds, and otherwise names the field."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import override_settings
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerts.services import file_plan
from cases import dates, services
from cases.models import Case, CaseStatus
from common.forms import IsoDateField
from limits import services as limits_services
from tests.factories import DivisionFactory, UserFactory

D = dt.date
TODAY = D(2026, 11, 27)
FILED = D(2026, 9, 1)
HORIZON = D(2029, 11, 27)  # 36 months after TODAY
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def pinned_today():
    with time_machine.travel(dt.datetime(2026, 11, 27, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


# --- spelling --------------------------------------------------------------------------------

REFUSED_SPELLINGS = [
    "2024-1-1",
    "2024-01-1",
    "２０２４-０１-０１",
    "2024-０１-01",
    "20240101",
    "2024-W01-1",
    "2024-001",
    "2024-01-01T00:00",
    "2024-01-01 ",
    " 2024-01-01",
    "2024/01/01",
    "2024年1月1日",
    "24-01-01",
    "02024-01-01",
    "2024-02-30",
    "",
]


def test_iso_parser_takes_four_digit_iso_only():
    assert dates.parse_iso_date("2024-03-01") == D(2024, 3, 1)
    assert dates.parse_iso_date("0001-01-01") == D(1, 1, 1)  # a spelling; the bounds refuse it
    for text in REFUSED_SPELLINGS:
        with pytest.raises(ValueError):
            dates.parse_iso_date(text)
    for value in (None, 20240101, D(2024, 1, 1)):
        with pytest.raises(ValueError):
            dates.parse_iso_date(value)


@pytest.mark.parametrize("text", [t for t in REFUSED_SPELLINGS if t and t == t.strip()])  # forms strip spaces
def test_the_form_field_refuses_other_spellings_with_the_message(text):
    """(The API's field: tests/api/test_dates_api.py.)"""
    field = IsoDateField()
    with translation.override("en"), pytest.raises(ValidationError) as error:
        field.clean(text)
    assert "YYYY-MM-DD" in error.value.messages[0]
    assert field.clean("2024-03-01") == field.clean(" 2024-03-01 ") == D(2024, 3, 1)


def test_the_message_is_chinese_by_default():
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        IsoDateField().clean("2024-3-1")
    assert "YYYY-MM-DD" in error.value.messages[0] and "四位年份" in error.value.messages[0]


def test_spreadsheet_cells_normalise_the_documented_spellings():
    for text in (
        "2024-03-01",
        "2024-3-1",
        "2024/3/1",
        "2024.3.1",
        "2024年3月1日",
        "２０２４年３月１日",
        "2024/03/01 00:00",
    ):
        assert dates.parse_spreadsheet_date(text) == D(2024, 3, 1), text
    assert dates.parse_spreadsheet_date(dt.datetime(2024, 3, 1, 8, 0)) == D(2024, 3, 1)
    for text in ("24/3/1", "3/1/2024", "2024-02-30", "20240301", "yesterday"):
        with pytest.raises(ValueError):
            dates.parse_spreadsheet_date(text)


# --- bounds ----------------------------------------------------------------------------------


def test_horizon_counts_months_clipped_to_the_month_end():
    assert dates.horizon(TODAY) == HORIZON
    assert dates.horizon(D(2024, 2, 29)) == D(2027, 2, 28)
    with override_settings(PLAN_HORIZON_MONTHS=12):
        assert dates.horizon(TODAY) == D(2027, 11, 27)


def test_messages_name_the_bound():
    with translation.override("zh-hans"):
        assert dates.happened(D(2024, 2, 29), since=dates.not_before_filing(D(2024, 3, 1)), today=TODAY) == (
            "不得早于立案日期 2024-03-01。"
        )
        assert dates.happened(D(9999, 12, 31), since=dates.not_before_filing(FILED), today=TODAY) == (
            "不得晚于今天（2026-11-27）。"
        )
    with translation.override("en"):
        assert dates.planned(D(9999, 12, 31), today=TODAY) == "Cannot be after 2029-11-27 (36 months from today)."
        assert dates.planned(TODAY, today=TODAY) == "Must be after today (2026-11-27)."
        # Of two lower bounds, the tighter one is named.
        since = [dates.not_before_filing(FILED), dates.not_before_suspension(D(2026, 10, 10))]
        assert dates.happened(D(2026, 8, 1), since=since, today=TODAY) == (
            "Cannot be before the start of the suspension, 2026-10-10."
        )


# --- every service, as a property ------------------------------------------------------------


class _Rollback(Exception):
    pass


def attempt(call: Callable[[], object]) -> ValidationError | None:
    """Run a service in a savepoint that is always rolled back; its ValidationError, or None."""
    try:
        with transaction.atomic():
            call()
            raise _Rollback
    except _Rollback:
        return None
    except ValidationError as exc:
        return exc


def around(*bounds: D):
    """Dates within a few days of each bound, and any date at all (0001-01-01 … 9999-12-31)."""
    near = st.sampled_from(bounds).flatmap(lambda b: st.integers(-3, 3).map(lambda k: b + dt.timedelta(days=k)))
    return st.one_of(near, near, st.dates())


PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def other_division(court):
    return DivisionFactory(court=court, code="criminal", name="刑事审判庭")


@pytest.fixture
def people(division, clerk, handler):
    division.head = UserFactory(username="head1", court=division.court, division=division, roles=["division_head"])
    division.save()
    president = UserFactory(username="president", court=division.court, division=None, roles=["president"])
    return {"clerk": clerk, "handler": handler, "president": president, "division": division}


@pytest.fixture
def new_case(people):
    def make(filed_on=FILED, **data) -> Case:
        number = f"（{filed_on.year}）{people['division'].court.code}民初{next(_numbers)}号"
        return services.register_case(
            people["clerk"],
            case_number=number,
            filed_on=filed_on,
            division=people["division"],
            handler=people["handler"],
            **data,
        )

    return make


def check_property(day: D, low: D, high: D, field: str, error: ValidationError | None) -> None:
    if low <= day <= high:
        assert error is None, (day, error)
    else:
        assert error is not None, day
        assert field in error.message_dict, (day, error.message_dict)


@pytest.mark.django_db
@PROPERTY
@given(day=around(dates.EARLIEST, TODAY))
def test_filing_date(new_case, day):
    error = attempt(lambda: new_case(filed_on=day))
    check_property(day, dates.EARLIEST, TODAY, "filed_on", error)


@pytest.mark.django_db
@PROPERTY
@given(day=around(FILED, TODAY))
def test_closing_date(new_case, people, day):
    case = new_case()
    error = attempt(
        lambda: services.close_case(people["clerk"], case, closed_on=day, closure_method="judgment", note="")
    )
    check_property(day, FILED, TODAY, "closed_on", error)


@pytest.mark.django_db
@PROPERTY
@given(day=around(FILED, TODAY), action=st.sampled_from(["suspend", "transfer", "procedure"]))
def test_day_of_an_action(new_case, people, other_division, day, action):
    case = new_case()
    call = {
        "suspend": lambda: services.suspend_case(people["clerk"], case, on=day),
        "transfer": lambda: services.transfer_case(people["clerk"], case, division=other_division, on=day),
        "procedure": lambda: services.change_procedure(people["clerk"], case, procedure="simple", on=day),
    }[action]
    check_property(day, FILED, TODAY, "on", attempt(call))


@pytest.mark.django_db
@PROPERTY
@given(day=around(FILED, D(2026, 10, 10), TODAY))
def test_day_of_a_resumption(new_case, people, day):
    case = new_case()
    services.suspend_case(people["clerk"], case, on=D(2026, 10, 10))
    error = attempt(lambda: services.resume_case(people["clerk"], Case.objects.get(pk=case.pk), on=day))
    check_property(day, D(2026, 10, 10), TODAY, "on", error)


@pytest.mark.django_db
@PROPERTY
@given(day=around(FILED, D(2026, 10, 20), TODAY))
def test_day_of_a_new_suspension_after_an_earlier_one(new_case, people, day):
    case = new_case()
    services.suspend_case(people["clerk"], case, on=D(2026, 10, 1))
    services.resume_case(people["clerk"], Case.objects.get(pk=case.pk), on=D(2026, 10, 21))  # 10-01 … 10-20
    error = attempt(lambda: services.suspend_case(people["clerk"], Case.objects.get(pk=case.pk), on=day))
    check_property(day, D(2026, 10, 21), TODAY, "on", error)


@pytest.mark.django_db
@PROPERTY
@given(day=around(FILED, TODAY))
def test_first_day_of_an_excluded_period(new_case, day):
    case = new_case()
    error = attempt(lambda: limits_services.record_period(None, case, reason_code="appraisal", start=day))
    check_property(day, FILED, TODAY, "start", error)


@pytest.mark.django_db
@PROPERTY
@given(day=around(FILED, D(2026, 10, 1), TODAY), how=st.sampled_from(["record", "end", "correct"]))
def test_last_day_of_an_excluded_period(new_case, day, how):
    case = new_case()
    start = D(2026, 10, 1)
    if how == "record":
        call = lambda: limits_services.record_period(None, case, reason_code="appraisal", start=start, end=day)  # noqa: E731
    else:
        period = limits_services.record_period(None, case, reason_code="appraisal", start=start)
        if how == "end":
            call = lambda: limits_services.end_period(None, period, day)  # noqa: E731
        else:
            call = lambda: limits_services.change_period(None, period, {"end": day})  # noqa: E731
    check_property(day, start, TODAY, "end", attempt(call))


@pytest.mark.django_db
@PROPERTY
@given(day=around(D(2026, 10, 25), D(2026, 11, 3), TODAY))
def test_last_day_of_a_period_of_a_closed_case(new_case, people, day):
    case = new_case()
    period = limits_services.record_period(None, case, reason_code="appraisal", start=D(2026, 10, 25))
    services.close_case(people["clerk"], case, closed_on=D(2026, 11, 3), closure_method="judgment", note="")
    error = attempt(lambda: limits_services.end_period(None, period, day))
    check_property(day, D(2026, 10, 25), D(2026, 11, 3), "end", error)


@pytest.mark.django_db
@PROPERTY
@given(day=around(FILED, TODAY))
def test_day_of_an_extension_request(new_case, people, day):
    case = new_case()
    error = attempt(
        lambda: limits_services.request_extension(people["clerk"], case, length=3, reason="复杂", requested_on=day)
    )
    check_property(day, FILED, TODAY, "requested_on", error)


@pytest.mark.django_db
@PROPERTY
@given(day=around(FILED, D(2026, 11, 20), TODAY))
def test_day_of_an_extension_decision(new_case, people, day):
    case = new_case()
    extension = limits_services.request_extension(
        people["clerk"], case, length=3, reason="复杂", requested_on=D(2026, 11, 20)
    )
    before = Case.objects.get(pk=case.pk).deadline
    error = attempt(
        lambda: limits_services.decide_extension(people["president"], extension, approve=True, decided_on=day)
    )
    check_property(day, D(2026, 11, 20), TODAY, "decided_on", error)
    assert Case.objects.get(pk=case.pk).deadline == before  # every attempt was rolled back


@pytest.mark.django_db
@PROPERTY
@given(day=around(TODAY, HORIZON))
def test_expected_closing_date_of_a_clearance_plan(new_case, people, day):
    case = new_case(filed_on=D(2026, 3, 2))
    error = attempt(
        lambda: file_plan(people["handler"], case, reason="appraisal", expected_close_on=day, steps="开庭", submit=True)
    )
    check_property(day, TODAY + dt.timedelta(days=1), HORIZON, "expected_close_on", error)


@pytest.mark.django_db
@PROPERTY
@given(acting_from=around(dates.EARLIEST, HORIZON), length=st.integers(0, 40))
def test_acting_head_period(people, acting_from, length):
    until = acting_from + dt.timedelta(days=length) if acting_from < D(9999, 1, 1) else D.max
    error = attempt(
        lambda: services.set_acting_head(
            None, people["division"], people["handler"], acting_from=acting_from, acting_until=until
        )
    )
    within = acting_from >= dates.EARLIEST and until <= HORIZON
    assert (error is None) == within, (acting_from, until, error)


def test_resuming_a_case_whose_suspension_began_after_the_awaited_case_closed(db, people, new_case):
    """Closing an awaited case resumes the waiting one no earlier than its own suspension."""
    awaited = new_case()
    services.close_case(people["clerk"], awaited, closed_on=D(2026, 10, 1), closure_method="judgment", note="")
    waiting = new_case()
    services.link_cases(people["clerk"], waiting, awaited, "waits_for")
    services.suspend_case(people["clerk"], waiting, on=D(2026, 10, 15))
    services.reopen_case(people["clerk"], Case.objects.get(pk=awaited.pk), note="误操作")
    services.close_case(
        people["clerk"], Case.objects.get(pk=awaited.pk), closed_on=D(2026, 10, 1), closure_method="judgment", note=""
    )
    assert Case.objects.get(pk=waiting.pk).status == CaseStatus.OPEN


def test_bounds_from_dates_written_before_the_policy_do_not_overflow():
    """Data saved before this policy may hold 9999-12-31; building a bound from it must not fail."""
    assert dates.happened(TODAY, since=dates.after_previous_suspension(D.max), today=TODAY) is not None
