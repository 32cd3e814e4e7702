"""The stored clock and the services that move it: suspension, periods, procedure change,
extensions, waiting cases, calendar overrides."""

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cases import services
from cases.models import Case
from limits import rule as limits
from limits import services as limits_services
from limits.models import ExcludedPeriod, Extension

D = dt.date
pytestmark = pytest.mark.django_db


def clock(case, as_of):
    return limits.annotate_clock(Case.objects.filter(pk=case.pk), as_of).values(
        "limit_deadline", "days_remaining", "limit_status"
    )[0]


def test_registration_stores_rule_and_deadline(register):
    case = register("民初", D(2024, 3, 15))
    case.refresh_from_db()
    assert case.limit_rule.name == "民事一审普通程序"
    # 15 Sep 2024 is in the Mid-Autumn holiday (15–17 Sep; Sat 14 Sep is a make-up day).
    assert case.limit_nominal == D(2024, 9, 15)
    assert case.deadline == D(2024, 9, 18)
    assert clock(case, D(2024, 9, 18)) == {
        "limit_deadline": D(2024, 9, 18),
        "days_remaining": 0,
        "limit_status": "warning",
    }
    assert clock(case, D(2024, 9, 19))["limit_status"] == "overdue"
    assert clock(case, D(2024, 5, 1))["limit_status"] == "within"


def test_bulk_registration_stores_the_same_deadline(division, handler, clerk):
    rows = [
        {
            "case_number": f"（2024）黔0281民初{n}号",
            "filed_on": D(2024, 3, 15),
            "division": division,
            "handler": handler,
        }
        for n in (901, 902)
    ]
    saved = services.register_cases(clerk, rows, today=D(2026, 11, 27))
    assert [Case.objects.get(pk=c.pk).deadline for c in saved] == [D(2024, 9, 18)] * 2


def test_case_without_a_rule_has_no_deadline(register):
    case = register("民保", D(2024, 3, 15))
    case.refresh_from_db()
    assert case.limit_rule is None and case.deadline is None
    assert clock(case, D(2024, 4, 1)) == {"limit_deadline": None, "days_remaining": None, "limit_status": None}


def test_suspension_then_resumption_moves_the_deadline(register, clerk):
    case = register("民初", D(2024, 3, 15))
    services.suspend_case(clerk, case, on=D(2024, 4, 1))
    period = ExcludedPeriod.objects.get(case=case)
    assert period.reason_code == "suspension" and period.end is None
    # While suspended the clock stands still: the deadline moves one day per day.
    assert clock(case, D(2024, 4, 5))["limit_deadline"] == D(2024, 9, 20)
    assert clock(case, D(2024, 4, 8))["days_remaining"] == clock(case, D(2024, 4, 9))["days_remaining"] == 168
    case.refresh_from_db()
    services.resume_case(clerk, case, on=D(2024, 4, 11))
    period.refresh_from_db()
    assert period.end == D(2024, 4, 10)  # suspended 1–10 April: 10 days
    case.refresh_from_db()
    assert case.limit_paused_from is None and case.limit_excluded_days == 10
    assert case.deadline == D(2024, 9, 25)
    assert clock(case, D(2025, 1, 1))["limit_deadline"] == D(2024, 9, 25)


def test_registered_suspended_case_opens_its_period(register):
    case = register("民初", D(2024, 3, 15), status="suspended", today=D(2024, 4, 1))
    assert ExcludedPeriod.objects.get(case=case).start == D(2024, 4, 1)


def test_closing_ends_running_periods_and_resumes_the_waiting_case(register, clerk):
    awaited = register("民初", D(2024, 1, 10))
    waiting = register("民初", D(2024, 3, 15))
    services.link_cases(clerk, waiting, awaited, "waits_for")
    services.suspend_case(clerk, waiting, on=D(2024, 4, 1))
    assert ExcludedPeriod.objects.get(case=waiting).awaited_case_id == awaited.pk
    awaited.refresh_from_db()
    services.close_case(clerk, awaited, closed_on=D(2024, 5, 20), closure_method="judgment")
    waiting.refresh_from_db()
    assert waiting.status == "open"
    period = ExcludedPeriod.objects.get(case=waiting)
    assert (period.start, period.end) == (D(2024, 4, 1), D(2024, 5, 19))
    assert waiting.limit_excluded_days == 49


def test_waiting_case_stays_suspended_while_another_awaited_case_is_open(register, clerk):
    first, second, waiting = register("民初"), register("民初"), register("民初")
    services.link_cases(clerk, waiting, first, "waits_for")
    services.link_cases(clerk, waiting, second, "waits_for")
    services.suspend_case(clerk, waiting, on=D(2024, 4, 1))
    first.refresh_from_db()
    services.close_case(clerk, first, closed_on=D(2024, 5, 20), closure_method="judgment")
    waiting.refresh_from_db()
    assert waiting.status == "suspended"


def test_closing_measures_a_running_period_to_the_closing_date(register, clerk):
    case = register("民初", D(2024, 3, 15))
    limits_services.record_period(
        clerk, case, reason_code="appraisal", start=D(2024, 5, 1), reason="鉴定", document_ref="委托书"
    )
    case.refresh_from_db()
    services.close_case(clerk, case, closed_on=D(2024, 6, 30), closure_method="judgment")
    case.refresh_from_db()
    assert ExcludedPeriod.objects.get(case=case).end == D(2024, 6, 30)
    assert case.limit_excluded_days == 61
    assert case.deadline == D(2024, 11, 15)  # 15 Sep + 61 days, a Friday


def test_procedure_change_keeps_the_filing_date(register, clerk):
    case = register("民初", D(2024, 3, 15), procedure="simple")
    case.refresh_from_db()
    # 3 months → Sat 15 June 2024 → Mon 17 June.
    assert case.limit_rule.name == "民事一审简易程序" and case.deadline == D(2024, 6, 17)
    services.change_procedure(clerk, case, procedure="ordinary", on=D(2024, 6, 1))
    case.refresh_from_db()
    assert case.filed_on == D(2024, 3, 15)
    assert case.limit_rule.name == "民事一审普通程序" and case.deadline == D(2024, 9, 18)


def test_filing_date_correction_recomputes(register, clerk):
    case = register("民初", D(2024, 3, 15))
    services.change_case(clerk, case, {"filed_on": D(2024, 3, 18)})
    case.refresh_from_db()
    assert case.deadline == D(2024, 9, 18)  # 18 Sep 2024 is a Wednesday
    services.change_case(clerk, case, {"filed_on": D(2024, 3, 20)})
    case.refresh_from_db()
    assert case.deadline == D(2024, 9, 20)


def test_variant_picks_the_ruling_appeal_row(register, clerk):
    case = register("民终", D(2024, 3, 15))
    case.refresh_from_db()
    assert case.limit_rule.name == "民事二审（判决上诉）"
    services.change_case(clerk, case, {"limit_variant": "ruling_appeal"})
    case.refresh_from_db()
    assert case.limit_rule.name == "民事二审（裁定上诉）" and case.deadline == D(2024, 4, 15)


# --- excluded periods: validation and overlaps ---------------------------------------------


def test_overlapping_periods_of_different_kinds_count_once(register, clerk):
    case = register("民初", D(2024, 3, 15))
    limits_services.record_period(clerk, case, reason_code="appraisal", start=D(2024, 4, 1), end=D(2024, 4, 20))
    limits_services.record_period(clerk, case, reason_code="public_notice", start=D(2024, 4, 11), end=D(2024, 4, 30))
    case.refresh_from_db()
    assert case.limit_excluded_days == 30
    assert case.deadline == D(2024, 10, 15)  # 15 Sep + 30 days, a Tuesday


def test_period_validation_names_the_field(register, clerk):
    case = register("民初", D(2024, 3, 15))
    with pytest.raises(ValidationError) as err:
        limits_services.record_period(clerk, case, reason_code="appraisal", start=D(2024, 4, 10), end=D(2024, 4, 1))
    assert "end" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        limits_services.record_period(clerk, case, reason_code="appraisal", start=D(2024, 3, 1))
    assert "start" in err.value.message_dict
    limits_services.record_period(clerk, case, reason_code="appraisal", start=D(2024, 4, 1), end=D(2024, 4, 20))
    with pytest.raises(ValidationError) as err:
        limits_services.record_period(clerk, case, reason_code="appraisal", start=D(2024, 4, 20))
    assert "start" in err.value.message_dict
    criminal = register("刑初", D(2024, 3, 15))
    with pytest.raises(ValidationError) as err:
        limits_services.record_period(clerk, criminal, reason_code="settlement", start=D(2024, 4, 1))
    assert "reason_code" in err.value.message_dict


def test_database_refuses_end_before_start(register):
    case = register("民初", D(2024, 3, 15))
    with pytest.raises(IntegrityError), transaction.atomic():
        ExcludedPeriod.objects.create(case=case, reason_code="appraisal", start=D(2024, 4, 10), end=D(2024, 4, 1))


def test_ending_and_deleting_a_period_move_the_deadline(register, clerk):
    case = register("民初", D(2024, 3, 15))
    period = limits_services.record_period(clerk, case, reason_code="auction", start=D(2024, 4, 1))
    limits_services.end_period(clerk, period, D(2024, 4, 2))
    case.refresh_from_db()
    assert case.limit_excluded_days == 2 and case.deadline == D(2024, 9, 18)  # 17 Sep holiday → 18th
    limits_services.delete_period(clerk, period)
    case.refresh_from_db()
    assert case.limit_excluded_days == 0


# --- extensions -------------------------------------------------------------------------------


def test_extension_steps_and_legal_maxima(register, clerk, president, tracker):
    case = register("民初", D(2024, 3, 15))
    with pytest.raises(ValidationError) as err:
        limits_services.request_extension(clerk, case, length=7, reason="案情复杂", requested_on=D(2024, 8, 1))
    assert "length" in err.value.message_dict
    first = limits_services.request_extension(clerk, case, length=6, reason="案情复杂", requested_on=D(2024, 8, 1))
    assert first.step == 1 and not first.late_request
    with pytest.raises(ValidationError) as err:
        limits_services.request_extension(clerk, case, length=1, reason="again", requested_on=D(2024, 8, 2))
    assert "case" in err.value.message_dict
    with pytest.raises(ValidationError):
        limits_services.decide_extension(clerk, first, approve=True, decided_on=D(2024, 8, 5))
    limits_services.decide_extension(president, first, approve=True, decided_on=D(2024, 8, 5))
    case.refresh_from_db()
    assert case.limit_nominal == D(2025, 3, 15) and case.deadline == D(2025, 3, 17)  # Sat → Mon
    # Step 2: three months, by the higher court; requested 5 days before the deadline → late.
    second = limits_services.request_extension(clerk, case, length=3, reason="需报请", requested_on=D(2025, 3, 12))
    assert second.step == 2 and second.late_request
    with pytest.raises(ValidationError) as err:
        limits_services.decide_extension(president, second, approve=True, decided_on=D(2025, 3, 14))
    assert "by_higher_court" in err.value.message_dict
    limits_services.decide_extension(tracker, second, approve=True, by_higher_court=True, decided_on=D(2025, 3, 14))
    case.refresh_from_db()
    assert case.limit_nominal == D(2025, 6, 15)
    with pytest.raises(ValidationError) as err:
        limits_services.request_extension(clerk, case, length=1, reason="再延", requested_on=D(2025, 5, 1))
    assert "length" in err.value.message_dict


def test_refused_extension_does_not_move_the_deadline(register, clerk, president):
    case = register("民初", D(2024, 3, 15), procedure="simple")
    request = limits_services.request_extension(clerk, case, length=1, reason="x", requested_on=D(2024, 5, 1))
    limits_services.decide_extension(president, request, approve=False, decided_on=D(2024, 5, 2))
    case.refresh_from_db()
    assert case.deadline == D(2024, 6, 17)
    assert Extension.objects.get(pk=request.pk).status == "refused"
    # A refusal frees step 1 for a new request; a small-claims style step max is 1 month.
    with pytest.raises(ValidationError):
        limits_services.request_extension(clerk, case, length=2, reason="x", requested_on=D(2024, 5, 3))


def test_enforcement_lead_days_are_five(register, clerk):
    case = register("执", D(2024, 3, 15))
    case.refresh_from_db()
    assert case.deadline == D(2024, 9, 18)
    on_time = limits_services.request_extension(clerk, case, length=3, reason="x", requested_on=D(2024, 9, 13))
    assert not on_time.late_request


def test_day_based_extension_maximum(register, clerk):
    case = register("刑初", D(2024, 3, 15), procedure="fast_track")
    with pytest.raises(ValidationError):
        limits_services.request_extension(clerk, case, length=6, unit="days", reason="x", requested_on=D(2024, 3, 18))
    assert limits_services.request_extension(
        clerk, case, length=5, unit="days", reason="x", requested_on=D(2024, 3, 18)
    )


# --- calendar ---------------------------------------------------------------------------------


def test_calendar_override_moves_deadlines(register, tracker):
    case = register("民初", D(2024, 3, 20))
    case.refresh_from_db()
    assert case.deadline == D(2024, 9, 20)
    limits_services.set_calendar_override(tracker, D(2024, 9, 20), False, "local arrangement")
    case.refresh_from_db()
    assert case.deadline == D(2024, 9, 23)
    limits_services.remove_calendar_override(tracker, D(2024, 9, 20))
    case.refresh_from_db()
    assert case.deadline == D(2024, 9, 20)


def test_years_unknown_to_the_source_are_weekends_only_and_provisional():
    from limits import calendar

    first, last = calendar.official_years()
    later = D(last + 1, 2, 6)
    while later.weekday() != 5:
        later += dt.timedelta(days=1)
    assert calendar.is_provisional(later)
    assert not calendar.is_provisional(D(2024, 2, 10))
    assert calendar.next_working_day(later) == later + dt.timedelta(days=2)


def test_load_working_days_is_idempotent_and_keeps_overrides(tracker):
    from django.core.management import call_command

    from limits.models import WorkingDay

    limits_services.set_calendar_override(tracker, D(2024, 2, 19), False, "x")
    call_command("load_working_days", "--from", "2024", "--to", "2024", stdout=io.StringIO())
    call_command("load_working_days", "--from", "2024", "--to", "2024", stdout=io.StringIO())
    assert WorkingDay.objects.filter(day__year=2024).count() == 366
    assert WorkingDay.objects.get(day=D(2024, 2, 19)).is_working is False
    assert WorkingDay.objects.get(day=D(2024, 2, 18)).is_working is True


def test_initialise_clocks_for_bulk_loaded_cases(division, handler):
    from tests.factories import CaseFactory

    ordinary = CaseFactory(court=division.court, division=division, handler=handler, filed_on=D(2023, 8, 31))
    simple = CaseFactory(
        court=division.court, division=division, handler=handler, filed_on=D(2023, 8, 10), procedure="simple"
    )
    suspended = CaseFactory(court=division.court, division=division, handler=handler, status="suspended")
    closed = CaseFactory(
        court=division.court,
        division=division,
        handler=handler,
        filed_on=D(2023, 8, 10),
        status="closed",
        closed_on=D(2023, 9, 1),
        closure_method="judgment",
    )
    no_rule = CaseFactory(
        court=division.court, division=division, handler=handler, case_type="民保", stage="preservation"
    )
    assert limits_services.initialise_clocks(today=D(2024, 5, 1)) == 4
    rows = dict(Case.objects.values_list("id", "deadline"))
    assert rows[ordinary.pk] == D(2024, 2, 29)
    assert rows[simple.pk] == D(2023, 11, 10)
    assert rows[closed.pk] == D(2024, 2, 18)  # 10 Feb in the Spring Festival → make-up Sunday
    assert rows[no_rule.pk] is None
    assert ExcludedPeriod.objects.get(case=suspended).start == D(2024, 5, 1)
    assert rows[suspended.pk] == D(2024, 9, 18)  # 1 day counted on 1 May: 16 Sep → 18 Sep
    # A second run changes nothing and adds no second period.
    limits_services.initialise_clocks(today=D(2024, 5, 1))
    assert dict(Case.objects.values_list("id", "deadline")) == rows
    assert ExcludedPeriod.objects.filter(case=suspended).count() == 1


def test_recompute_all_clocks_after_a_rule_edit(register, clerk):
    from limits.models import LimitRule

    plain = register("民初", D(2024, 3, 15))
    ledger = register("民初", D(2024, 3, 15))
    limits_services.record_period(clerk, ledger, reason_code="appraisal", start=D(2024, 4, 1), end=D(2024, 4, 10))
    LimitRule.objects.filter(name="民事一审普通程序").update(base_length=7)
    assert limits_services.recompute_all_clocks(today=D(2026, 11, 27)) == 2
    assert Case.objects.get(pk=plain.pk).deadline == D(2024, 10, 15)
    assert Case.objects.get(pk=ledger.pk).deadline == D(2024, 10, 25)


def test_recompute_clocks_of_a_queryset_chunk_by_chunk(register, clerk):
    from limits.models import LimitRule

    cases = [register("民初", D(2024, 3, 15)) for _ in range(3)]
    for case in cases:
        limits_services.record_period(clerk, case, reason_code="appraisal", start=D(2024, 4, 1), end=D(2024, 4, 10))
    LimitRule.objects.filter(name="民事一审普通程序").update(base_length=7)
    # Chunks of 2 over 3 cases: one full chunk, then the rest.
    assert limits_services.recompute_clocks_of(Case.objects.all(), D(2026, 11, 27), chunk=2) == 3
    assert set(Case.objects.values_list("deadline", flat=True)) == {D(2024, 10, 25)}
