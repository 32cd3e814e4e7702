"""Every list and detail endpoint of the API reads a fixed number of queries, pinned exactly.

The world has `rows` of everything an endpoint lists (cases per division, alerts, plans, weekly
lists and their items, bulletins and their items, figures and sign-offs, events, excluded
periods, extensions, staff, divisions). Each endpoint is asked with 2 and with 6 rows and must
read the same number of queries both times: a query per row (N+1) would show as a difference.
A change of a pinned number is a decision to make in review, not a number to bump.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from alerts.models import Alert, ClearancePlan, DispatchItem, DispatchList
from cases.models import Case, CaseEvent
from limits import services as limits_services
from limits.models import Extension
from reports import services as report_services
from reports.models import Bulletin, BulletinSignOff, BulletinStatus
from tests.factories import DivisionFactory, UserFactory

from .conftest import client_for

pytestmark = pytest.mark.django_db

D = dt.date
ROWS = [2, 6]


@pytest.fixture(params=ROWS, ids=lambda n: f"{n}-rows")
def world(request, org, make_case, today):
    """`rows` cases in each of the two divisions (one closed; most with a handler of their own;
    each with its statutory clock, an alert, a clearance plan and a timeline); `rows` weekly
    lists of `rows` items; `rows` bulletins (the newest published and signed off by every
    division); `rows` excluded periods, extensions and events on the first case; `rows` more
    staff and divisions."""
    rows = request.param
    now = timezone.now()
    divisions = [org["division"], org["other"]]
    cases = []
    for d, division in enumerate(divisions):
        for i in range(rows):
            # A handler of their own for most cases: the bulletin's and the live figures' handler
            # rows grow with the cases too.
            handler = (
                org["handler"] if i == 0 else UserFactory(court=org["court"], division=division, roles=["handler"])
            )
            filed = D(2025, 1, 5) + dt.timedelta(days=37 * i + 11 * d)
            closed = {"status": "closed", "closed_on": D(2026, 11, 2), "closure_method": "judgment"} if i == 1 else {}
            cases.append(make_case(filed_on=filed, division=division, handler=handler, clerk=org["clerk"], **closed))
    limits_services.initialise_clocks(Case.objects.all(), today)  # the statutory clock of every case
    for i, case in enumerate(cases):
        Alert.objects.create(
            case=case,
            level="over_6m",
            line_date=case.line_6m,
            raised_on=D(2026, 11, 1),
            acknowledged_by=org["head"] if i % 2 else None,
            acknowledged_at=now if i % 2 else None,
        )
        ClearancePlan.objects.create(
            case=case,
            version=1,
            author=case.handler,
            reason="appraisal",
            expected_close_on=D(2027, 1, 1),
            steps="鉴定",
            status="approved" if i % 2 else "submitted",
            submitted_at=now,
            reviewer=org["head"] if i % 2 else None,
            reviewed_at=now if i % 2 else None,
        )
        CaseEvent.objects.create(case=case, kind="updated", actor=org["clerk"], effective_on=D(2026, 11, 1))
    first = cases[0]
    for i in range(rows):
        CaseEvent.objects.create(
            case=first, kind="updated", actor=org["clerk"] if i % 2 else None, effective_on=D(2026, 10, 1 + i)
        )
        start = D(2026, 1, 1) + dt.timedelta(days=20 * i)
        limits_services.record_period(
            org["clerk"], first, reason_code="appraisal", start=start, end=start + dt.timedelta(days=9)
        )
        Extension.objects.create(
            case=first,
            step=i + 1,
            length=1,
            reason="案情复杂",
            status="approved",
            requested_by=org["handler"],
            requested_on=D(2026, 2, 1),
            decided_by=org["president"],
            decided_on=D(2026, 2, 2),
        )
    for w in range(rows):
        monday = D(2026, 11, 23) - dt.timedelta(weeks=w)
        dispatch = DispatchList.objects.create(
            division=org["division"],
            week_start=monday - dt.timedelta(days=7),
            week_end=monday - dt.timedelta(days=1),
            as_of=monday,
            head=org["head"],
            built_at=now,
            acknowledged_by=org["head"] if w % 2 else None,
            acknowledged_at=now if w % 2 else None,
        )
        for case in cases[:rows]:
            DispatchItem.objects.create(
                dispatch_list=dispatch, case=case, handler=case.handler, level="over_6m", filed_on=case.filed_on
            )
    for m in range(rows):
        month = 10 - m
        report_services.build_bulletin(f"2026-{month:02d}", court=org["court"])
    newest = Bulletin.objects.get(period="2026-10")
    Bulletin.objects.filter(pk=newest.pk).update(
        status=BulletinStatus.PUBLISHED,
        issue_year=2026,
        issue_number=1,
        published_by=org["tracking_officer"],
        published_at=now,
        pdf_sha256="0" * 64,
    )
    for i in range(rows):
        extra = DivisionFactory(court=org["court"], code=f"extra-{i}", head=org["head"], acting_head=org["handler"])
        UserFactory(username=f"staff{i}", court=org["court"], division=extra, roles=["handler", "clerk"])
        divisions.append(extra)
    for division in divisions:
        BulletinSignOff.objects.create(bulletin=newest, division=division, signed_by=org["head"], signed_at=now)
    return {"rows": rows, "cases": cases, "first": first, "dispatch": dispatch, "bulletin": newest, **org}


def _rows(data) -> int:
    """The rows an answer lists: a page's results, or a detail's longest list."""
    if "results" in data:
        return len(data["results"])
    return max((len(value) for value in data.values() if isinstance(value, list)), default=0)


def _get(world, role, url, queries, django_assert_num_queries, **params):
    client = client_for(world[role])
    with django_assert_num_queries(queries):
        response = client.get(url, params)
        if response.streaming:  # a CSV reads its rows while it is sent
            response.body = b"".join(response.streaming_content)
    assert response.status_code == 200, response.json()
    return response


OFFICER = "tracking_officer"  # sees every case and the draft bulletins
AS_OF_OVER_6M = {"as_of": "2026-02-15", "aging_level": "over_6m"}  # every case of the world
YEAR = {"start": "2026-01-01", "end": "2026-11-27"}
# (name, role, url (formatted with the world's ids), query parameters, lists the rows, queries)
ENDPOINTS = [
    ("cases", OFFICER, "/api/v1/cases/", {}, True, 4),
    ("cases as of, by ageing level", OFFICER, "/api/v1/cases/", AS_OF_OVER_6M, True, 5),
    ("cases of a division head", "head", "/api/v1/cases/", {}, True, 5),
    ("case", OFFICER, "/api/v1/cases/{first}/", {}, False, 3),
    ("case events", OFFICER, "/api/v1/cases/{first}/events/", {}, True, 5),
    ("cases export", OFFICER, "/api/v1/cases/export/", {}, True, 3),
    ("divisions", OFFICER, "/api/v1/divisions/", {}, True, 3),
    ("division", OFFICER, "/api/v1/divisions/civil-1/", {}, False, 2),
    ("staff", OFFICER, "/api/v1/staff/", {}, True, 4),
    ("person", OFFICER, "/api/v1/staff/judge1/", {}, False, 3),
    ("alerts", OFFICER, "/api/v1/alerts/", {}, True, 4),
    ("alert", OFFICER, "/api/v1/alerts/{alert}/", {}, False, 3),
    ("plans", OFFICER, "/api/v1/plans/", {}, True, 4),
    ("plan", OFFICER, "/api/v1/plans/{plan}/", {}, False, 3),
    ("dispatches", OFFICER, "/api/v1/dispatches/", {}, True, 5),
    ("dispatch", OFFICER, "/api/v1/dispatches/{dispatch}/", {}, True, 4),
    ("bulletins", OFFICER, "/api/v1/bulletins/", {}, True, 4),
    ("bulletin", OFFICER, "/api/v1/bulletins/{bulletin}/", {}, True, 5),
    ("bulletin items", OFFICER, "/api/v1/bulletins/{bulletin}/items/", {}, True, 5),
    ("bulletin CSV", OFFICER, "/api/v1/bulletins/{bulletin}/csv/", {}, False, 4),
    ("bulletin figures CSV", OFFICER, "/api/v1/bulletins/{bulletin}/figures-csv/", {}, False, 5),
    ("limit figures", OFFICER, "/api/v1/limit-figures/", YEAR, False, 3),
    ("limit figures by handler", OFFICER, "/api/v1/limit-figures/", {**YEAR, "group_by": "handler"}, True, 3),
    ("excluded periods of a case", OFFICER, "/api/v1/cases/{first}/excluded-periods/", {}, True, 5),
    ("excluded period", OFFICER, "/api/v1/excluded-periods/{period}/", {}, False, 3),
    ("extensions of a case", OFFICER, "/api/v1/cases/{first}/extensions/", {}, True, 5),
    ("extension", OFFICER, "/api/v1/extensions/{extension}/", {}, False, 3),
]  # fmt: skip


@pytest.mark.parametrize(
    ("role", "url", "params", "listed", "queries"), [e[1:] for e in ENDPOINTS], ids=[e[0] for e in ENDPOINTS]
)
def test_each_endpoint_reads_a_fixed_number_of_queries(
    world, role, url, params, listed, queries, django_assert_num_queries
):
    first = world["first"]
    ids = {
        "first": first.pk,
        "dispatch": world["dispatch"].pk,
        "bulletin": world["bulletin"].pk,
        "alert": Alert.objects.filter(case=first).values_list("pk", flat=True).get(),
        "plan": ClearancePlan.objects.filter(case=first).values_list("pk", flat=True).get(),
        "period": first.excluded_periods.values_list("pk", flat=True).first(),
        "extension": Extension.objects.filter(case=first).values_list("pk", flat=True).first(),
    }
    response = _get(world, role, url.format(**ids), queries, django_assert_num_queries, **params)
    if listed:
        assert _rows(response.json()) >= world["rows"]  # the rows are there: an N+1 would have shown
