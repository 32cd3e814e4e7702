"""Registering and changing cases: validation by field, database constraints, one event per change."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cases import services
from cases.models import Case, CaseEvent, EventKind
from tests.factories import CaseFactory, DivisionFactory, UserFactory

D = dt.date
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]


@pytest.fixture
def frozen_today():
    with time_machine.travel(dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        yield


def register(clerk, div, judge, **kw):
    data = {
        "case_number": "(2025)黔0281民初12号",
        "filed_on": D(2025, 3, 1),
        "division": div,
        "handler": judge,
        "cause": "民间借贷纠纷",
        "parties": "张三诉李四",
    }
    data.update(kw)
    return services.register_case(clerk, court=div.court, **data)


def test_register_normalises_the_number_and_stores_lines(clerk, division, handler):
    case = register(clerk, division, handler)
    assert case.case_number == "（2025）黔0281民初12号"
    assert (case.year, case.court_code, case.case_type, case.seq) == (2025, "黔0281", "民初", 12)
    assert (case.category, case.stage, case.procedure) == ("civil", "first_instance", "ordinary")
    assert (case.line_6m, case.line_12m, case.line_15m) == (D(2025, 9, 1), D(2026, 3, 1), D(2026, 6, 1))
    event = case.events.get()
    assert event.kind == EventKind.REGISTERED and event.actor == clerk
    assert event.after["case_number"] == "（2025）黔0281民初12号"


def test_either_parenthesis_form_is_the_same_case(clerk, division, handler):
    register(clerk, division, handler)
    with pytest.raises(ValidationError) as exc:
        register(clerk, division, handler, case_number="（2025）黔0281民初12号")
    assert "case_number" in exc.value.message_dict
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"case_number": "2025黔0281民初12号"}, "case_number"),
        ({"case_number": "（2025）黔0282民初12号"}, "case_number"),  # another court's code
        ({"filed_on": D(2025, 6, 2)}, "filed_on"),  # tomorrow
        ({"status": "closed", "closed_on": D(2025, 2, 1), "closure_method": "judgment"}, "closed_on"),
        ({"status": "closed", "closed_on": D(2025, 5, 1)}, "closure_method"),
        ({"status": "closed", "closure_method": "judgment"}, "closed_on"),
        ({"closed_on": D(2025, 5, 1)}, "closed_on"),  # open case with a closing date
        ({"division": None}, "division"),
    ],
)
def test_bad_input_names_the_field(clerk, division, handler, changes, field):
    with pytest.raises(ValidationError) as exc:
        register(clerk, division, handler, **changes)
    assert field in exc.value.message_dict
    assert not Case.objects.exists()


def test_inactive_handler_is_refused(clerk, division, handler):
    handler.is_active = False
    handler.save()
    with pytest.raises(ValidationError) as exc:
        register(clerk, division, handler)
    assert "handler" in exc.value.message_dict


def test_every_change_records_its_event(clerk, division, handler):
    case = register(clerk, division, handler, procedure="simple")
    other_division = DivisionFactory(court=division.court, code="civil-2")
    other_judge = UserFactory(court=division.court, division=other_division, roles=["handler"])

    services.change_procedure(clerk, case, procedure="ordinary")
    services.suspend_case(clerk, case, note="鉴定")
    case.refresh_from_db()
    services.resume_case(clerk, case)
    services.transfer_case(clerk, case, division=other_division, handler=other_judge)
    services.change_case(clerk, case, {"case_number": "(2025)黔0281民初13号"})
    services.change_case(clerk, case, {"filed_on": D(2025, 2, 28)})
    case.refresh_from_db()
    services.close_case(clerk, case, closed_on=D(2025, 5, 20), closure_method="mediation")
    case.refresh_from_db()
    services.reopen_case(clerk, case, note="结案日期录入错误")

    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds == [
        "registered",
        "procedure_changed",
        "suspended",
        "resumed",
        "transferred",
        "number_corrected",
        "filing_date_corrected",
        "closed",
        "reopened",
    ]
    transfer = case.events.get(kind="transferred")
    assert transfer.before == {"division": "civil-1", "handler": "judge1"}
    assert transfer.after == {"division": "civil-2", "handler": other_judge.username}
    corrected = case.events.get(kind="filing_date_corrected")
    assert corrected.before == {"filed_on": "2025-03-01"} and corrected.after == {"filed_on": "2025-02-28"}
    closed = case.events.get(kind="closed")
    assert closed.effective_on == D(2025, 5, 20)
    case.refresh_from_db()
    assert case.status == "open" and case.closed_on is None and case.closure_method == ""
    assert case.line_6m == D(2025, 8, 28)  # moved with the corrected filing date


def test_sending_the_same_values_records_nothing(clerk, division, handler):
    case = register(clerk, division, handler)
    assert services.change_case(clerk, case, {"cause": "民间借贷纠纷", "division": division}) == []
    assert case.events.count() == 1


def test_a_rejected_change_leaves_the_case_as_it_was(clerk, division, handler):
    case = register(clerk, division, handler)
    with pytest.raises(ValidationError):
        services.change_case(clerk, case, {"cause": "买卖合同纠纷", "filed_on": D(2030, 1, 1)})
    case.refresh_from_db()
    assert case.cause == "民间借贷纠纷" and case.filed_on == D(2025, 3, 1)
    assert case.events.count() == 1


def test_status_transitions_are_checked(clerk, division, handler):
    case = register(clerk, division, handler)
    with pytest.raises(ValidationError):
        services.resume_case(clerk, case)
    with pytest.raises(ValidationError):
        services.reopen_case(clerk, case, note="x")
    services.close_case(clerk, case, closed_on=D(2025, 5, 1), closure_method="judgment")
    case.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.reopen_case(clerk, case, note="  ")
    assert "note" in exc.value.message_dict


def test_reassign_moves_cases_one_event_each(clerk, division, handler):
    for n in (1, 2, 3):
        register(clerk, division, handler, case_number=f"（2025）黔0281民初{n}号")
    successor = UserFactory(court=division.court, division=division, roles=["handler"])
    moved = services.reassign_cases(clerk, Case.objects.filter(handler=handler), successor)
    assert moved == 3
    assert CaseEvent.objects.filter(kind="transferred").count() == 3
    assert not Case.objects.filter(handler=handler).exists()


def test_links_record_an_event(clerk, division, handler):
    original = register(clerk, division, handler, case_number="（2024）黔0281执100号", filed_on=D(2024, 5, 1))
    resumed = register(clerk, division, handler, case_number="（2025）黔0281执恢3号")
    services.link_cases(clerk, resumed, original, "resumed_from")
    services.link_cases(clerk, resumed, original, "resumed_from")
    assert resumed.links.get().target == original
    assert resumed.events.filter(kind="linked").count() == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "closed", "closed_on": None, "closure_method": "judgment"},
        {"status": "closed", "closed_on": D(2024, 5, 1), "closure_method": ""},
        {"status": "open", "closed_on": D(2024, 5, 1), "closure_method": "judgment"},
        {"status": "closed", "closed_on": D(2024, 1, 1), "closure_method": "judgment"},  # before filing
        {"status": "archived"},
    ],
)
def test_database_constraints_hold_without_the_service(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseFactory(filed_on=D(2024, 3, 15), **fields)


def test_external_id_unique_when_present():
    CaseFactory(external_id=None)
    CaseFactory(external_id=None)
    CaseFactory(external_id="X1")
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseFactory(external_id="X1")


def test_an_account_without_a_role_sees_no_division_cases(clerk, division, handler):
    from cases.permissions import visible_cases

    case = register(clerk, division, handler)
    nobody = UserFactory(court=division.court, division=division, roles=[])
    assert not visible_cases(nobody).exists()
    assert list(visible_cases(clerk)) == [case]
    assert list(visible_cases(handler)) == [case]


def _register_set(clerk, division, handler, first_seq: int) -> list[Case]:
    """Seven cases alike but for their sequence numbers; the fifth is suspended since 1 May."""
    cases = [register(clerk, division, handler, case_number=f"(2025)黔0281民初{first_seq + i}号") for i in range(7)]
    services.suspend_case(clerk, cases[4], on=D(2025, 5, 1))
    return cases


def _changes(other_judge, seq: int) -> list[dict]:
    return [
        {"cause": "借款合同纠纷", "parties": "王五诉赵六"},
        {"handler": other_judge},
        {"status": "suspended"},
        {"status": "closed", "closed_on": D(2025, 5, 20), "closure_method": "judgment"},
        {"status": "open"},
        {"filed_on": D(2025, 2, 10), "procedure": "simple"},
        {"case_number": f"(2025)黔0281民初{seq}号", "cause": "买卖合同纠纷"},
    ]


def _outcome(case: Case) -> dict:
    case.refresh_from_db()
    numberless = lambda values: {k: v for k, v in values.items() if k != "case_number"}  # noqa: E731
    return {
        "events": [
            (e.kind, e.effective_on, numberless(e.before), numberless(e.after), e.note)
            for e in case.events.order_by("id")
        ],
        "periods": list(case.excluded_periods.order_by("id").values_list("reason_code", "start", "end")),
        "fields": {
            name: getattr(case, name)
            for name in (
                "status", "closed_on", "closure_method", "handler_id", "cause", "parties", "filed_on", "procedure",
                "line_6m", "line_12m", "line_15m", "deadline", "limit_nominal", "limit_raw", "limit_paused_from",
                "limit_excluded_days", "limit_rule_id", "category", "stage",
            )
        },
        "history": case.history.count(),
    }  # fmt: skip


def test_a_batch_of_changes_does_exactly_what_the_same_changes_one_by_one_do(clerk, division, handler):
    other_judge = UserFactory(username="judge-b", court=division.court, division=division, roles=["handler"])
    one_by_one = _register_set(clerk, division, handler, 100)
    batched = _register_set(clerk, division, handler, 200)
    for case, changes in zip(one_by_one, _changes(other_judge, 150), strict=True):
        services.change_case(clerk, case, changes, note="n")
    outcomes = services.change_cases(clerk, list(zip(batched, _changes(other_judge, 250), strict=True)), note="n")
    assert all(isinstance(events, list) and events for events in outcomes)
    for single, batch in zip(one_by_one, batched, strict=True):
        assert _outcome(single) == _outcome(batch)
    assert Case.objects.get(pk=batched[6].pk).case_number == "（2025）黔0281民初250号"
    # The suspension opened by the batch, and the one it ended on 31 May (resumed today, 1 June).
    assert list(batched[2].excluded_periods.values_list("start", "end")) == [(D(2025, 6, 1), None)]
    assert list(batched[4].excluded_periods.values_list("start", "end")) == [(D(2025, 5, 1), D(2025, 5, 31))]


def test_a_batch_refuses_bad_rows_alone(clerk, division, handler):
    good, bad, unknown = (
        register(clerk, division, handler, case_number=f"(2025)黔0281民初{n}号") for n in (301, 302, 303)
    )
    outcomes = services.change_cases(
        clerk,
        [
            (good, {"cause": "借款合同纠纷"}),
            (bad, {"status": "closed", "closed_on": D(2025, 1, 1), "closure_method": "judgment"}),
            (unknown, {"colour": "red"}),
        ],
    )
    assert [len(outcomes[0]), type(outcomes[1]), type(outcomes[2])] == [1, ValidationError, ValidationError]
    assert "closed_on" in outcomes[1].message_dict and "colour" in outcomes[2].message_dict
    bad.refresh_from_db()
    assert bad.status == "open" and list(bad.events.values_list("kind", flat=True)) == ["registered"]


def test_reassigning_a_docket_is_all_or_nothing(clerk, division, handler):
    cases = [register(clerk, division, handler, case_number=f"(2025)黔0281民初{n}号") for n in (401, 402)]
    gone = UserFactory(username="judge-gone", court=division.court, division=division, roles=["handler"])
    gone.is_active = False
    gone.save()
    with pytest.raises(ValidationError):
        services.reassign_cases(clerk, Case.objects.filter(pk__in=[c.pk for c in cases]), gone)
    assert set(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("handler", flat=True)) == {handler.pk}
    judge = UserFactory(username="judge-new", court=division.court, division=division, roles=["handler"])
    assert services.reassign_cases(clerk, Case.objects.filter(pk__in=[c.pk for c in cases]), judge) == 2
