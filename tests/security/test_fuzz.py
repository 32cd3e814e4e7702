"""Fuzzing: the API's write operations with schemathesis (more examples than the contract test,
and as a clerk who may change only some cases), and the case forms with hypothesis. No answer is
a 5xx, and a rejected request (4xx, or a form shown again with errors) changes no data."""

from __future__ import annotations

import datetime as dt
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from alerts.models import Alert, ClearancePlan, DispatchList
from cases.models import Case, CaseEvent, Division, User
from reports.models import Bulletin
from tests.factories import CaseFactory, DivisionFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))


def fingerprint() -> tuple:
    """Enough of the database to see any write: row counts and the newest change of each table."""
    from django.db.models import Max

    return (
        Case.objects.aggregate(n=Max("id"), u=Max("updated_at")),
        Case.objects.count(),
        CaseEvent.objects.count(),
        ClearancePlan.objects.aggregate(n=Max("id"), s=Max("submitted_at"), r=Max("reviewed_at")),
        list(ClearancePlan.objects.order_by("pk").values_list("pk", "status", "steps", "expected_close_on")),
        Alert.objects.filter(acknowledged_at__isnull=False).count(),
        DispatchList.objects.filter(acknowledged_at__isnull=False).count(),
        Bulletin.objects.filter(status="published").count(),
        Division.objects.count(),
        User.objects.count(),
    )


@pytest.fixture
def court_people(court):
    a = DivisionFactory(court=court, code="civil-1", name="民一庭")
    b = DivisionFactory(court=court, code="civil-2", name="民二庭")
    clerk = UserFactory(username="clerk-a", court=court, division=a, roles=["clerk"])
    judge = UserFactory(username="judge-a", court=court, division=a, roles=["handler"])
    other = UserFactory(username="judge-b", court=court, division=b, roles=["handler"])
    for i in range(3):
        CaseFactory(court=court, division=a, handler=judge, filed_on=dt.date(2025, 1 + i, 10))
        CaseFactory(court=court, division=b, handler=other, filed_on=dt.date(2025, 1 + i, 12))
    return {"clerk": clerk, "judge": judge, "a": a, "b": b}


def test_api_writes_never_fail_and_rejections_change_nothing(court_people, wsgi_app):
    api_schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    token, _ = Token.objects.get_or_create(user=court_people["clerk"])
    headers = {"Authorization": f"Token {token.key}"}
    failures: list[str] = []
    operations = [r.ok() for r in api_schema.get_all_operations()]
    writes = [op for op in operations if op.method.upper() in ("POST", "PUT", "PATCH", "DELETE")]
    assert len(writes) >= 8
    for operation in writes:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                before = fingerprint()
                response = case.call(headers=headers)
                case.validate_response(response, checks=[not_a_server_error])
                if response.status_code >= 400:
                    assert fingerprint() == before, f"{response.status_code} but data changed"

            try:
                run()
            except Unsatisfiable:
                continue
            except BaseException as exc:  # collect every operation's failure, then report all
                if isinstance(exc, KeyboardInterrupt):
                    raise
                failures.append(f"{operation.method.upper()} {operation.path} [{mode.value}]: {exc}")
    assert failures == [], "\n\n".join(failures)


TEXT = st.text(max_size=300)
DATES = st.one_of(
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)).map(dt.date.isoformat),
    st.text(max_size=20),
)


@settings(max_examples=EXAMPLES * 4, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    case_number=TEXT,
    filed_on=DATES,
    procedure=st.sampled_from(["", "ordinary", "simple", "nonsense", "<b>"]),
    cause=TEXT,
    parties=TEXT,
    division=st.one_of(st.integers(min_value=-5, max_value=10**12).map(str), TEXT),
)
def test_register_form_never_fails_and_rejections_change_nothing(
    client, court_people, case_number, filed_on, procedure, cause, parties, division
):
    client.force_login(court_people["clerk"])
    before = fingerprint()
    response = client.post(
        "/cases/register/",
        {
            "case_number": case_number,
            "filed_on": filed_on,
            "procedure": procedure,
            "cause": cause,
            "parties": parties,
            "division": division,
        },
    )
    assert response.status_code in (200, 302, 400), response.status_code
    if response.status_code != 302:
        assert fingerprint() == before


@settings(max_examples=EXAMPLES * 4, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    action=st.sampled_from(["suspend", "resume", "close", "reopen", "transfer", "edit", "x"]),
    on=DATES,
    closed_on=DATES,
    closure_method=st.sampled_from(["", "judgment", "mediation", "withdrawal", "??"]),
    note=TEXT,
    division=st.one_of(st.integers(min_value=-5, max_value=10**12).map(str), TEXT),
)
def test_case_action_forms_never_fail_and_rejections_change_nothing(
    client, court_people, action, on, closed_on, closure_method, note, division
):
    client.force_login(court_people["clerk"])
    case = Case.objects.filter(division=court_people["a"]).order_by("pk").first()
    other = Case.objects.filter(division=court_people["b"]).order_by("pk").first()
    for target in (case, other):
        before = fingerprint()
        response = client.post(
            f"/cases/{target.pk}/{action}/",
            {"on": on, "closed_on": closed_on, "closure_method": closure_method, "note": note, "division": division},
        )
        assert response.status_code in (200, 302, 400, 403, 404), response.status_code
        if response.status_code != 302:
            assert fingerprint() == before
