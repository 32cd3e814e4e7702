"""The role × action matrix, walked over every URL of the project (docs/permissions.md).

* Every route except the admin's and a short list of public ones refuses anonymous visitors:
  pages redirect to the login page, the API answers 401/403. A new view that forgets its guard
  fails here without anyone adding a test for it.
* Every route answers each role without a server error.
* Every page and API action that changes data is tried by every role: the roles the policy
  allows get through (a form error is fine), the others get 403 or 404, and nothing changes.
* Object level: a case, plan or dispatch list of another division cannot be changed by id, and
  every route that names an object answers "not yours" exactly as "not there" (404).
* Acting heads: a stand-in whose acting period is over, or not begun, holds no power of the head.
* Integration accounts use the API only; nobody but an admin reaches the admin.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from alerts import dispatch as alert_dispatch
from alerts import tracking
from alerts.models import Alert, DispatchItem, DispatchList, UrgingNotice
from alerts.services import file_plan
from cases.models import Case
from limits.models import ExcludedPeriod, Extension
from reports import services as report_services
from reports.periods import Period
from tests.factories import CaseFactory, DivisionFactory, UserFactory

pytestmark = pytest.mark.django_db

PUBLIC = {
    "healthz",
    "set_language",
    "javascript-catalog",
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "api:api-root",
    "api:",  # the API's catch-all 404
    # The OpenAPI schema and its docs page describe the API and hold no court data; integrators
    # read them before they have a token.
    "api:schema",
    "api:docs",
}

ROLES = [
    "clerk_a",
    "clerk_b",
    "handler_a",
    "handler_b",
    "head_a",
    "head_b",
    "vice_president",
    "president",
    "tracker",
    "integration",
    "admin",
    "norole_a",
    "acting_past_a",
]


@dataclass
class World:
    people: dict
    division_a: object
    division_b: object
    case_a: Case
    case_b: Case
    alert_a: Alert
    plan_a: object
    plan_b: object
    dispatch_a: DispatchList
    dispatch_b: DispatchList
    bulletin: object
    urging: UrgingNotice | None
    alert_b: Alert
    urging_b: UrgingNotice | None
    period_a: ExcludedPeriod
    period_b: ExcludedPeriod
    extension_a: Extension
    extension_b: Extension


@pytest.fixture
def world(court) -> World:
    a = DivisionFactory(court=court, code="civil-1", name="民一庭")
    b = DivisionFactory(court=court, code="civil-2", name="民二庭")
    p = {
        "clerk_a": UserFactory(username="clerk-a", court=court, division=a, roles=["clerk"]),
        "clerk_b": UserFactory(username="clerk-b", court=court, division=b, roles=["clerk"]),
        "handler_a": UserFactory(username="judge-a", court=court, division=a, roles=["handler"]),
        "handler_b": UserFactory(username="judge-b", court=court, division=b, roles=["handler"]),
        "head_a": UserFactory(username="head-a", court=court, division=a, roles=["division_head", "handler"]),
        "head_b": UserFactory(username="head-b", court=court, division=b, roles=["division_head", "handler"]),
        "vice_president": UserFactory(username="vp", court=court, division=None, roles=["vice_president"]),
        "president": UserFactory(username="president", court=court, division=None, roles=["president"]),
        "tracker": UserFactory(username="tracker", court=court, division=None, roles=["tracking_officer"]),
        "integration": UserFactory(username="sync", court=court, division=None, roles=["integration"]),
        "admin": UserFactory(username="root", court=court, division=None, roles=["admin"], is_staff=True),
        "norole_a": UserFactory(username="visitor-a", court=court, division=a, roles=[]),
        # A handler of division B who stood in for A's head until yesterday (tests/security/
        # test_acting_heads.py has periods to come and periods missing a date).
        "acting_past_a": UserFactory(username="stand-in", court=court, division=b, roles=["handler"]),
    }
    today = timezone.localdate()
    a.head, b.head = p["head_a"], p["head_b"]
    a.acting_head = p["acting_past_a"]
    a.acting_from, a.acting_until = today - dt.timedelta(days=30), today - dt.timedelta(days=1)
    a.save()
    b.save()
    old = today - dt.timedelta(days=400)  # over 6 (and 12) months
    case_a = CaseFactory(court=court, division=a, handler=p["handler_a"], filed_on=old)
    case_b = CaseFactory(court=court, division=b, handler=p["handler_b"], filed_on=old)
    for division, handler in ((a, p["handler_a"]), (b, p["handler_b"])):
        CaseFactory(court=court, division=division, handler=handler, filed_on=old - dt.timedelta(days=30))
    tracking.track_daily(today)
    alert_dispatch.dispatch_weekly(alert_dispatch.monday_of(today))
    plan_a = file_plan(
        p["handler_a"], case_a, reason="appraisal", expected_close_on=today + dt.timedelta(days=40), steps="鉴定"
    )
    plan_a.refresh_from_db()
    from alerts.services import submit_plan

    plan_a = submit_plan(p["handler_a"], plan_a)
    plan_b = submit_plan(
        p["handler_b"],
        file_plan(
            p["handler_b"], case_b, reason="appraisal", expected_close_on=today + dt.timedelta(days=40), steps="鉴定"
        ),
    )
    last_month = Period.containing(today.replace(day=1) - dt.timedelta(days=1))
    bulletin = report_services.build_bulletin(last_month).bulletin
    ledger = {}
    for side, case in (("a", case_a), ("b", case_b)):
        ledger[f"period_{side}"] = ExcludedPeriod.objects.create(
            case=case, reason_code="appraisal", start=old + dt.timedelta(days=10), end=old + dt.timedelta(days=20)
        )
        ledger[f"extension_{side}"] = Extension.objects.create(
            case=case, step=1, length=3, reason="鉴定", requested_on=today
        )
    return World(
        people=p,
        division_a=a,
        division_b=b,
        case_a=case_a,
        case_b=case_b,
        alert_a=Alert.objects.filter(case=case_a).first(),
        plan_a=plan_a,
        plan_b=plan_b,
        dispatch_a=DispatchList.objects.filter(division=a).first(),
        dispatch_b=DispatchList.objects.filter(division=b).first(),
        bulletin=bulletin,
        urging=_urging(DispatchList.objects.filter(division=a).first(), case_a, p["handler_a"], today),
        alert_b=Alert.objects.filter(case=case_b).first(),
        urging_b=_urging(DispatchList.objects.filter(division=b).first(), case_b, p["handler_b"], today),
        **ledger,
    )


def _urging(dispatch_list: DispatchList, case: Case, handler, today) -> UrgingNotice:
    """An urging notice on the division's list (the week's list may have no case needing one)."""
    existing = UrgingNotice.objects.filter(handler=handler).first()
    if existing is not None:
        return existing
    item = DispatchItem.objects.create(
        dispatch_list=dispatch_list, case=case, handler=handler, level="over_6m", over_15m=False, filed_on=case.filed_on
    )
    return UrgingNotice.objects.create(item=item, handler=handler, sent_on=today)


# --- every route --------------------------------------------------------------------------------


def routes():
    """(name, pattern) of every route outside the admin, format-suffix duplicates left out."""

    def walk(patterns, prefix="", namespace=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                ns = ":".join(filter(None, [namespace, entry.namespace]))
                yield from walk(entry.url_patterns, prefix + str(entry.pattern), ns)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}:{entry.name or ''}" if namespace else (entry.name or "")
                yield name, prefix + str(entry.pattern)

    for name, pattern in walk(get_resolver().url_patterns):
        if pattern.startswith(("admin/", "static/", "media/")) or "format" in pattern:
            continue
        yield name, pattern


def object_for(name: str, world: World) -> dict[str, object]:
    """The id to put in a route: an object of division A that the route is about."""
    if name.startswith("api:alert") or name == "alerts:alert_acknowledge":
        return {"pk": world.alert_a.pk}
    if name.startswith("api:plan") or name == "alerts:plan_review":
        return {"pk": world.plan_a.pk}
    if name.startswith("api:dispatch") or name in ("alerts:dispatch_detail", "alerts:dispatch_acknowledge"):
        return {"pk": world.dispatch_a.pk}
    if name == "reports:dispatch_xlsx":
        return {"pk": world.dispatch_a.pk}
    if name.startswith("api:bulletin") or name.startswith("reports:bulletin"):
        return {"pk": world.bulletin.pk, "fmt": "csv"}
    if name == "reports:division":
        return {"pk": world.division_a.pk}
    if name == "alerts:urging_answer":
        return {"pk": world.urging.pk if world.urging else 999999}
    return {
        "pk": world.case_a.pk,
        "case_pk": world.case_a.pk,
        "action": "suspend",
        "code": "civil-1",
        "username": "clerk-a",
        "uidb64": "MQ",
        "token": "x-x",
    }


def url_of(pattern: str, values: dict[str, object]) -> str:
    def value(key: str) -> str:
        return str(values.get(key, 1))

    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: value(m.group(1)), pattern)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: value(m.group(1)), path)
    path = path.replace("^", "").replace("$", "").replace("\\.", ".").replace("/?", "/")
    return "/" + path


def all_urls(world: World) -> list[tuple[str, str]]:
    return [(name, url_of(pattern, object_for(name, world))) for name, pattern in routes()]


def test_the_walk_covers_the_project(world):
    names = {name for name, _url in all_urls(world)}
    for expected in ("cases:list", "cases:action", "alerts:plan_review", "reports:bulletin_publish", "api:case-list"):
        assert expected in names
    assert len(names) > 40


def test_anonymous_visitors_are_refused_everywhere_but_public_routes(client, world):
    api = APIClient()
    checked = 0
    for name, url in all_urls(world):
        if name in PUBLIC or name.startswith("password_"):
            continue
        for method in ("get", "post"):
            if url.startswith("/api/"):
                response = getattr(api, method)(url)
                assert response.status_code in (401, 403), (method, name, url, response.status_code)
            else:
                response = getattr(client, method)(url)
                assert response.status_code == 302, (method, name, url, response.status_code)
                assert response["Location"].startswith(reverse("login")), (name, response["Location"])
            checked += 1
    assert checked > 60


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_every_role_without_a_server_error(client, world, role):
    user = world.people[role]
    client.force_login(user)
    api = APIClient()
    api.force_authenticate(user)
    for name, url in all_urls(world):
        if name in ("logout", "set_language") or name.startswith("password_") or "download" in name:
            continue
        if "pdf" in name:
            continue  # rendered in the export tests; slow here
        response = (api if url.startswith("/api/") else client).get(url)
        assert response.status_code in (200, 302, 400, 403, 404, 405), (role, name, url, response.status_code)


def test_integration_accounts_use_the_api_only(client, world):
    """Every staff page sends an integration account to its one page (never a 403 whose link home
    leads back to the 403); a form sent to a staff page is refused; the API answers."""
    client.force_login(world.people["integration"])
    page = reverse("cases:integration")
    for url in ("/", "/cases/", f"/cases/{world.case_a.pk}/", "/alerts/tracking/", "/reports/bulletins/"):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, page), url
    walked = 0
    for name, url in all_urls(world):
        if url.startswith(("/api/", "/accounts/logout/", "/i18n/", "/healthz")) or name == "cases:integration":
            continue
        response = client.get(url)
        assert (response.status_code, response.get("Location")) == (302, page), (name, url, response.status_code)
        walked += 1
    assert walked > 40
    assert client.post("/cases/register/").status_code == 403
    assert client.get(page).status_code == 200
    assert client.get("/api/v1/cases/").status_code == 200


def test_nobody_but_an_admin_reaches_the_admin(client, world):
    for role in ROLES:
        client.force_login(world.people[role])
        response = client.get("/admin/")
        if role == "admin":
            assert response.status_code == 200
        elif role == "integration":  # sent to its one page, as from every staff page
            assert (response.status_code, response["Location"]) == (302, reverse("cases:integration"))
        else:
            assert response.status_code in (302, 403), role
            if response.status_code == 302:
                assert response["Location"].startswith("/admin/login/")
        client.logout()


# --- actions that change data -------------------------------------------------------------------

# (name, route values, POST data, roles allowed) — as cases.permissions decides; see docs/permissions.md.
PAGE_ACTIONS = [
    ("cases:register", lambda w: {}, {}, {"clerk_a", "clerk_b", "admin"}),
    (
        "cases:action",
        lambda w: {"pk": w.case_a.pk, "action": "suspend"},
        {},
        {"clerk_a", "handler_a", "head_a", "admin"},
    ),
    ("cases:import", lambda w: {}, {}, {"clerk_a", "clerk_b", "tracker", "admin"}),
    ("cases:reassign", lambda w: {}, {}, {"head_a", "head_b", "admin"}),
    ("alerts:plan_file", lambda w: {"case_pk": w.case_a.pk}, {}, {"handler_a", "head_a", "admin"}),
    ("alerts:plan_review", lambda w: {"pk": w.plan_a.pk}, {}, {"head_a", "admin"}),
    (
        "alerts:alert_acknowledge",
        lambda w: {"pk": w.alert_a.pk},
        {},
        # Acknowledging says "I saw it": anyone who may see the case.
        {"clerk_a", "handler_a", "head_a", "vice_president", "president", "tracker", "admin"},
    ),
    ("alerts:dispatch_acknowledge", lambda w: {"pk": w.dispatch_a.pk}, {}, {"head_a", "admin"}),
    ("reports:bulletin_sign_off", lambda w: {"pk": w.bulletin.pk}, "division_a", {"head_a"}),
    ("jobs:jobs", lambda w: {}, {}, {"tracker", "admin"}),
    ("reports:bulletin_publish", lambda w: {"pk": w.bulletin.pk}, {}, {"tracker", "admin"}),
]


def snapshot(world: World) -> tuple:
    from alerts.models import ClearancePlan
    from reports.models import Bulletin

    return (
        list(Case.objects.order_by("pk").values_list("pk", "status", "division_id", "handler_id", "updated_at")),
        list(ClearancePlan.objects.order_by("pk").values_list("pk", "status", "version")),
        list(Alert.objects.order_by("pk").values_list("pk", "acknowledged_at")),
        list(DispatchList.objects.order_by("pk").values_list("pk", "acknowledged_at")),
        list(Bulletin.objects.order_by("pk").values_list("pk", "status")),
    )


@pytest.mark.parametrize("name,values,data,allowed", PAGE_ACTIONS, ids=[a[0] for a in PAGE_ACTIONS])
def test_pages_that_change_data_refuse_other_roles(client, world, name, values, data, allowed, settings, tmp_path):
    url = reverse(name, kwargs=values(world))
    if data == "division_a":
        # Only a published bulletin is signed off: publish it first, so the refusal tested is the role's.
        settings.MEDIA_ROOT = tmp_path
        report_services.publish_bulletin(world.bulletin, world.people["tracker"])
        data = {"division": world.division_a.pk}
    before = snapshot(world)
    refused = [r for r in ROLES if r not in allowed]
    for role in refused:
        client.force_login(world.people[role])
        response = client.post(url, data)
        assert response.status_code in (403, 404), (role, name, response.status_code)
        client.logout()
    assert snapshot(world) == before, f"a refused request changed data ({name})"
    for role in sorted(allowed):
        client.force_login(world.people[role])
        response = client.post(url, data)
        assert response.status_code not in (403, 404) and response.status_code < 500, (
            role,
            name,
            response.status_code,
        )
        client.logout()


API_ACTIONS = [
    ("post", lambda w: "/api/v1/cases/", {}, {"clerk_a", "clerk_b", "integration", "admin"}),
    (
        "patch",
        lambda w: f"/api/v1/cases/{w.case_a.pk}/",
        {"cause": "买卖合同纠纷"},
        {"clerk_a", "handler_a", "head_a", "integration", "admin"},
    ),
    (
        "post",
        lambda w: f"/api/v1/cases/{w.case_a.pk}/suspend/",
        {},
        {"clerk_a", "handler_a", "head_a", "integration", "admin"},
    ),
    ("post", lambda w: f"/api/v1/plans/{w.plan_a.pk}/approve/", {}, {"head_a", "admin"}),
    ("post", lambda w: f"/api/v1/plans/{w.plan_a.pk}/return/", {"comment": "补充"}, {"head_a", "admin"}),
    ("post", lambda w: f"/api/v1/dispatches/{w.dispatch_a.pk}/acknowledge/", {}, {"head_a", "admin"}),
    ("post", lambda w: "/api/v1/divisions/", {}, {"integration", "admin"}),
    ("post", lambda w: f"/api/v1/bulletins/{w.bulletin.pk}/publish/", {}, {"tracker", "admin"}),
]


@pytest.mark.parametrize(
    "method,path,data,allowed", API_ACTIONS, ids=[f"{a[0]} {i}" for i, a in enumerate(API_ACTIONS)]
)
def test_api_actions_refuse_other_roles(world, method, path, data, allowed):
    url = path(world)
    before = snapshot(world)
    for role in [r for r in ROLES if r not in allowed]:
        api = APIClient()
        api.force_authenticate(world.people[role])
        response = getattr(api, method)(url, data, format="json")
        assert response.status_code in (403, 404), (role, method, url, response.status_code)
    assert snapshot(world) == before, f"a refused request changed data ({method} {url})"
    for role in sorted(allowed):
        api = APIClient()
        api.force_authenticate(world.people[role])
        response = getattr(api, method)(url, data, format="json")
        assert response.status_code not in (403, 404) and response.status_code < 500, (role, url, response.status_code)


# --- object level --------------------------------------------------------------------------------


def test_another_divisions_case_cannot_be_changed_by_id(client, world):
    case_b = world.case_b
    for role in ("clerk_a", "handler_a", "head_a", "norole_a"):
        user = world.people[role]
        client.force_login(user)
        for action in ("suspend", "close", "transfer", "reopen", "resume"):
            response = client.post(f"/cases/{case_b.pk}/{action}/", {"on": "2026-11-01", "note": "x"})
            assert response.status_code == 404, (role, action, response.status_code)
        assert client.get(f"/cases/{case_b.pk}/").status_code == 404
        assert client.post(f"/alerts/plans/case/{case_b.pk}/", {}).status_code == 404
        assert client.post(f"/alerts/plans/{world.plan_b.pk}/review/", {"decision": "approve"}).status_code == 404
        assert client.post(f"/alerts/dispatch/{world.dispatch_b.pk}/acknowledge/").status_code == 404
        client.logout()
        api = APIClient()
        api.force_authenticate(user)
        assert api.patch(f"/api/v1/cases/{case_b.pk}/", {"cause": "x"}, format="json").status_code == 404
        assert api.get(f"/api/v1/cases/{case_b.pk}/").status_code == 404
        assert api.post(f"/api/v1/plans/{world.plan_b.pk}/approve/", {}, format="json").status_code == 404
    case_b.refresh_from_db()
    assert case_b.status == "open" and case_b.cause == "民间借贷纠纷"


# --- "not yours" answers as "not there" -----------------------------------------------------------

MISSING = 999999
# What a route's id names, by route name (first match): a route that names an object of a division
# must be listed here, or the walk below fails and asks for it.
OBJECT_KINDS = [
    ("api:case-excluded-periods", "case"),
    ("api:case-extensions", "case"),
    ("api:case-", "case"),
    ("api:alert-", "alert"),
    ("api:plan-", "plan"),
    ("api:dispatch-", "dispatch"),
    ("api:excluded-period-", "period"),
    ("api:extension-", "extension"),
    ("limits:period_end", "period"),
    ("limits:extension_decide", "extension"),
    ("limits:", "case"),
    ("cases:", "case"),
    ("alerts:plan_file", "case"),
    ("alerts:plan_review", "plan"),
    ("alerts:alert_acknowledge", "alert"),
    ("alerts:dispatch_", "dispatch"),
    ("alerts:urging_answer", "urging"),
    ("reports:dispatch_xlsx", "dispatch"),
    ("reports:division", "division"),
]
# Routes whose object every signed-in person sees: the organisation chart, bulletins, accounts.
SHARED = ("api:division-", "api:staff-", "api:bulletin-", "reports:bulletin", "password_reset_confirm")
# Who must not see which division's objects: the other division's people; an account with no
# role (not even its own division's); a stand-in whose acting period is over.
STRANGERS = [
    ("clerk_a", "b"),
    ("handler_a", "b"),
    ("head_a", "b"),
    ("norole_a", "a"),
    ("norole_a", "b"),
    ("acting_past_a", "a"),
]


def _object(world: World, kind: str, side: str):
    if kind == "urging":
        return world.urging if side == "a" else world.urging_b
    if kind == "division":
        return getattr(world, f"division_{side}")
    return getattr(world, f"{kind}_{side}")


def routes_with_objects() -> list[tuple[str, str, str]]:
    """(name, pattern, kind) of every route that names an object of a division."""
    found, unknown = [], []
    for name, pattern in routes():
        if not re.search(r"<|\(\?P", pattern) or name.startswith(SHARED):
            continue
        kind = next((k for prefix, k in OBJECT_KINDS if name.startswith(prefix)), None)
        if kind is None:
            unknown.append(name)
        found.append((name, pattern, kind))
    assert unknown == [], f"routes naming an object the walk does not know: {unknown}"
    return found


@pytest.mark.parametrize("role,side", STRANGERS, ids=[f"{r}-{s}" for r, s in STRANGERS])
def test_an_object_you_cannot_see_answers_as_one_that_does_not_exist(client, world, role, side):
    """Every page and API route that names a case, alert, plan, dispatch list, urging notice,
    excluded period, extension or division answers a person who may not see it exactly as it
    answers for an id that does not exist, for every method, and changes nothing."""
    user = world.people[role]
    client.force_login(user)
    api = APIClient()
    api.force_authenticate(user)
    before = snapshot(world)
    checked = 0
    for name, pattern, kind in routes_with_objects():
        obj = _object(world, kind, side)
        assert obj is not None, (name, kind)
        values = {"action": "suspend", "fmt": "csv"}
        hidden = url_of(pattern, {**values, **dict.fromkeys(("pk", "case_pk", "period_pk", "extension_pk"), obj.pk)})
        missing = url_of(pattern, {**values, **dict.fromkeys(("pk", "case_pk", "period_pk", "extension_pk"), MISSING)})
        is_api = hidden.startswith("/api/")
        for method in ("get", "post", "patch", "put") if is_api else ("get", "post"):
            if is_api:
                answers = [getattr(api, method)(url, {}, format="json").status_code for url in (hidden, missing)]
            else:
                answers = [getattr(client, method)(url, {}).status_code for url in (hidden, missing)]
            assert answers[0] == answers[1], (role, name, method.upper(), hidden, answers)
            assert answers[0] in (404, 405), (role, name, method.upper(), hidden, answers)
            checked += 1
    assert checked > 60
    assert snapshot(world) == before
