"""An acting division head holds the head's powers on the days of the acting period only: in the
pages, the API, the exports and the jobs' notifications alike (docs/permissions.md).

Division A (civil-1) is headed by head-a; stand-in, a handler of division B, is named its acting
head for a period in the past, in the future, around today, or with a date missing. Today is
2026-11-27 in Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from alerts import dispatch as alert_dispatch
from alerts import tracking
from alerts.models import ClearancePlan, DispatchList, Notification, NotificationKind
from alerts.services import file_plan
from cases import permissions
from cases.models import Case, Division
from tests.factories import CaseFactory, DivisionFactory, UserFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 11, 27)
D = dt.date

PERIODS = {
    "past": (D(2026, 1, 1), D(2026, 1, 2)),
    "future": (D(2026, 12, 1), D(2026, 12, 31)),
    "no start": (None, D(2026, 12, 31)),
    "no end": (D(2026, 1, 1), None),
}


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(dt.datetime(2026, 11, 27, 9, 30, tzinfo=SHANGHAI), tick=False):
        yield TODAY


@dataclass
class Scene:
    a: Division
    b: Division
    head: object
    stand_in: object
    handler: object
    case: Case
    plan: ClearancePlan | None
    dispatch: DispatchList | None

    def act(self, start, end):
        # Written straight to the table: the service refuses a period missing a date.
        Division.objects.filter(pk=self.a.pk).update(acting_head=self.stand_in, acting_from=start, acting_until=end)
        self.a.refresh_from_db()


def build(court, today, *, jobs: bool = True) -> Scene:
    a = DivisionFactory(court=court, code="civil-1", name="民一庭")
    b = DivisionFactory(court=court, code="civil-2", name="民二庭")
    head = UserFactory(username="head-a", court=court, division=a, roles=["division_head", "handler"])
    stand_in = UserFactory(username="stand-in", court=court, division=b, roles=["handler"])
    handler = UserFactory(username="judge-a", court=court, division=a, roles=["handler"])
    a.head = head
    a.save()
    case = CaseFactory(court=court, division=a, handler=handler, filed_on=today - dt.timedelta(days=500))
    scene = Scene(a, b, head, stand_in, handler, case, None, None)
    if jobs:
        tracking.track_daily(today)
        alert_dispatch.dispatch_weekly(alert_dispatch.monday_of(today))
        scene.dispatch = DispatchList.objects.get(division=a)
        scene.plan = file_plan(
            handler,
            case,
            reason="appraisal",
            expected_close_on=today + dt.timedelta(days=40),
            steps="鉴定",
            submit=True,
        )
    return scene


@pytest.fixture
def scene(court, today) -> Scene:
    return build(court, today)


def api_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def powers(scene: Scene, client) -> dict[str, object]:
    """What the stand-in gets, everywhere a division head's power shows."""
    client.force_login(scene.stand_in)
    api = api_for(scene.stand_in)
    listed = api.get("/api/v1/cases/", {"division": "civil-1"}).json()["count"]
    exported = [row["id"] for row in api.get("/api/v1/cases/export/").json()["results"]]
    return {
        "permissions.visible_cases": permissions.visible_cases(scene.stand_in).filter(division=scene.a).count(),
        "permissions.can_review_plan": permissions.can_review_plan(scene.stand_in, scene.case),
        "GET /api/v1/cases/?division=civil-1": listed,
        "GET /api/v1/cases/export/": scene.case.pk in exported,
        "GET /cases/<id>/": client.get(f"/cases/{scene.case.pk}/").status_code,
        "GET /reports/divisions/<id>/": client.get(f"/reports/divisions/{scene.a.pk}/").status_code,
        "GET /reports/dispatch/<id>.xlsx": client.get(f"/reports/dispatch/{scene.dispatch.pk}.xlsx").status_code,
        "GET /api/v1/dispatches/?division=civil-1": api.get("/api/v1/dispatches/", {"division": "civil-1"}).json()[
            "count"
        ],
        "home page panel": _head_panel(client),
    }


def _head_panel(client) -> bool:
    panels = client.get("/").context["panels"]
    return any(p["template"] == "alerts/panel_head.html" for p in panels)


@pytest.mark.parametrize("period", list(PERIODS))
def test_outside_the_acting_period_the_stand_in_has_no_powers(scene, client, period):
    scene.act(*PERIODS[period])
    assert powers(scene, client) == {
        "permissions.visible_cases": 0,
        "permissions.can_review_plan": False,
        "GET /api/v1/cases/?division=civil-1": 0,
        "GET /api/v1/cases/export/": False,
        "GET /cases/<id>/": 404,
        "GET /reports/divisions/<id>/": 404,
        "GET /reports/dispatch/<id>.xlsx": 404,
        "GET /api/v1/dispatches/?division=civil-1": 0,
        "home page panel": False,
    }
    api = api_for(scene.stand_in)
    assert api.post(f"/api/v1/plans/{scene.plan.pk}/approve/", {}, format="json").status_code == 404
    assert api.post(f"/api/v1/dispatches/{scene.dispatch.pk}/acknowledge/", {}, format="json").status_code == 404
    client.force_login(scene.stand_in)
    assert client.post(f"/alerts/plans/{scene.plan.pk}/review/", {"decision": "approve"}).status_code == 404
    assert client.post(f"/alerts/dispatch/{scene.dispatch.pk}/acknowledge/").status_code == 404
    scene.plan.refresh_from_db()
    scene.dispatch.refresh_from_db()
    assert scene.plan.status == "submitted" and scene.dispatch.acknowledged_at is None
    # The head keeps the division throughout, and is its effective head (who signs off).
    assert permissions.can_review_plan(scene.head, scene.case) and permissions.can_lead_division(scene.head, scene.a)
    assert permissions.effectively_headed_division_ids(scene.head) == {scene.a.pk}
    assert permissions.effectively_headed_division_ids(scene.stand_in) == set()


def test_during_the_acting_period_the_stand_in_leads_the_division(scene, client):
    scene.act(D(2026, 11, 20), D(2026, 11, 30))
    assert powers(scene, client) == {
        "permissions.visible_cases": 1,
        "permissions.can_review_plan": True,
        "GET /api/v1/cases/?division=civil-1": 1,
        "GET /api/v1/cases/export/": True,
        "GET /cases/<id>/": 200,
        "GET /reports/divisions/<id>/": 200,
        "GET /reports/dispatch/<id>.xlsx": 200,
        "GET /api/v1/dispatches/?division=civil-1": 1,
        "home page panel": True,
    }
    api = api_for(scene.stand_in)
    assert api.post(f"/api/v1/dispatches/{scene.dispatch.pk}/acknowledge/", {}, format="json").status_code == 200
    assert api.post(f"/api/v1/plans/{scene.plan.pk}/approve/", {}, format="json").status_code == 200
    scene.plan.refresh_from_db()
    assert scene.plan.status == "approved" and scene.plan.reviewer == scene.stand_in
    # The head keeps the division; the stand-in is its effective head (who signs off).
    assert permissions.can_lead_division(scene.head, scene.a)
    assert permissions.effectively_headed_division_ids(scene.head) == set()
    assert permissions.effectively_headed_division_ids(scene.stand_in) == {scene.a.pk}


def test_the_day_is_the_court_s_local_date(scene):
    """The period's last day ends at midnight in Asia/Shanghai, not at midnight UTC."""
    scene.act(D(2026, 1, 1), D(2026, 1, 2))
    late_on_the_last_day = dt.datetime(2026, 1, 2, 23, 30, tzinfo=SHANGHAI)  # 15:30 UTC on the 2nd
    just_after = dt.datetime(2026, 1, 3, 0, 30, tzinfo=SHANGHAI)  # still the 2nd in UTC
    with time_machine.travel(late_on_the_last_day, tick=False):
        assert permissions.can_lead_division(scene.stand_in, scene.a)
    with time_machine.travel(just_after, tick=False):
        assert not permissions.can_lead_division(scene.stand_in, scene.a)
    first_day = dt.datetime(2026, 1, 1, 0, 10, tzinfo=SHANGHAI)  # 31 December in UTC
    with time_machine.travel(first_day, tick=False):
        assert permissions.can_lead_division(scene.stand_in, scene.a)


def test_the_dated_check_is_a_condition_of_the_same_query(scene, django_assert_num_queries):
    scene.act(*PERIODS["past"])
    assert scene.stand_in.roles  # loaded once per request
    with django_assert_num_queries(1):
        assert permissions.headed_division_ids(scene.stand_in) == set()
    with django_assert_num_queries(2):  # the headed divisions, then the cases
        assert not permissions.visible_cases(scene.stand_in).filter(division=scene.a).exists()


@pytest.mark.parametrize(
    ("period", "recipient"),
    [("past", "head-a"), ("future", "head-a"), ("no end", "head-a"), ("around", "stand-in")],
)
def test_the_jobs_notify_whoever_leads_on_their_as_of_date(court, today, period, recipient):
    """Daily tracking, the weekly dispatch and plan submissions reach the acting head on the
    acting days only (the jobs judge on their as-of date)."""
    scene = build(court, today, jobs=False)
    scene.act(*PERIODS.get(period, (D(2026, 11, 20), D(2026, 11, 30))))
    tracking.track_daily(TODAY)
    raised = Notification.objects.filter(kind=NotificationKind.ALERT_RAISED).exclude(recipient=scene.handler)
    assert set(raised.values_list("recipient__username", flat=True)) == {recipient}
    alert_dispatch.dispatch_weekly(alert_dispatch.monday_of(TODAY))
    assert DispatchList.objects.get(division=scene.a).head.username == recipient
    ready = Notification.objects.filter(kind=NotificationKind.DISPATCH_READY)
    assert set(ready.values_list("recipient__username", flat=True)) == {recipient}
    file_plan(
        scene.handler,
        scene.case,
        reason="appraisal",
        expected_close_on=TODAY + dt.timedelta(days=40),
        steps="鉴定",
        submit=True,
    )
    submitted = Notification.objects.filter(kind=NotificationKind.PLAN_SUBMITTED)
    assert set(submitted.values_list("recipient__username", flat=True)) == {recipient}
