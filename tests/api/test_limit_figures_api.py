"""GET /api/v1/limit-figures/ (live time-limit figures) and the time-limit fields of the
bulletins API, on the hand-computed docket of tests/reports/limit_docket.py."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services
from reports import services as report_services
from reports.periods import Period
from tests.api.conftest import client_for
from tests.factories import UserFactory
from tests.reports.limit_docket import END, EXPECTED, START, build_limit_docket

pytestmark = pytest.mark.django_db
URL = "/api/v1/limit-figures/"
PERIOD = {"start": START.isoformat(), "end": END.isoformat()}
COUNTS = ("closed", "closed_on_time", "excluded_days", "extended", "overdue", "hidden_flags")


@pytest.fixture
def docket(org):
    return build_limit_docket(org["court"])


def _counts(row: dict) -> dict[str, int]:
    return {k: row[k] for k in COUNTS}


def test_court_row_by_default(api, docket):
    response = api("president").get(URL, PERIOD)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["start"], body["end"], body["group_by"]) == ("2024-09-01", "2024-09-30", "court")
    [row] = body["results"]
    assert _counts(row) == EXPECTED["court"]
    assert row["on_time_rate"] == pytest.approx(2 / 3)
    assert row["average_excluded_days"] == pytest.approx(10 / 3)
    assert row["extension_rate"] == pytest.approx(1 / 3)
    assert (row["division"], row["handler"]) == (None, None)


def test_grouped_by_division_and_handler(api, docket):
    rows = api("tracking_officer").get(URL, {**PERIOD, "group_by": "division"}).json()["results"]
    by_code = {r["division"]: r for r in rows}
    assert {code: _counts(r) for code, r in by_code.items()} == {
        "civil-1": EXPECTED["civil-1"],
        "civil-2": EXPECTED["civil-2"],
    }
    assert by_code["civil-2"]["division_name"] == "民二庭"
    assert by_code["civil-2"]["on_time_rate"] is None and by_code["civil-2"]["extension_rate"] is None
    rows = api("integration").get(URL, {**PERIOD, "group_by": "handler"}).json()["results"]
    assert {r["handler"]: _counts(r) for r in rows} == {"judge-a": EXPECTED["civil-1"], "judge-b": EXPECTED["civil-2"]}
    assert {r["handler_name"] for r in rows} == {"法官甲", "法官乙"}


def test_a_division_head_sees_only_their_division(api, org, docket):
    # head1 heads civil-1: the court row is civil-1's figures, and no other division appears.
    [row] = api("head").get(URL, PERIOD).json()["results"]
    assert _counts(row) == EXPECTED["civil-1"]
    rows = api("head").get(URL, {**PERIOD, "group_by": "division"}).json()["results"]
    assert [r["division"] for r in rows] == ["civil-1"]
    head2 = UserFactory(username="head2", court=org["court"], division=org["other"], roles=["division_head"])
    org["other"].head = head2
    org["other"].save()
    rows = client_for(head2).get(URL, {**PERIOD, "group_by": "handler"}).json()["results"]
    assert [(r["handler"], _counts(r)) for r in rows] == [("judge-b", EXPECTED["civil-2"])]


def test_anonymous_is_refused(api, docket):
    assert api(None).get(URL, PERIOD).status_code in (401, 403)


@pytest.mark.parametrize(
    "params, fields",
    [
        ({}, {"start", "end"}),
        ({"start": "2024-09-01"}, {"end"}),
        ({"start": "2024-9-1", "end": "2024-09-30"}, {"start"}),
        ({"start": "2024-09-01", "end": "2024-02-30"}, {"end"}),
        ({"start": "2024-10-01", "end": "2024-09-30"}, {"end"}),
        ({**PERIOD, "group_by": "judge"}, {"group_by"}),
        ({**PERIOD, "divison": "civil-1"}, {"divison"}),
        ({**PERIOD, "page": "2"}, {"page"}),
    ],
)
def test_bad_parameters_are_400_naming_the_field(api, docket, params, fields):
    response = api("president").get(URL, params)
    assert response.status_code == 400, response.content
    assert set(response.json()) == fields


def test_queries_do_not_grow_with_rows(api, org, docket):
    client = api("president")
    client.get(URL, {**PERIOD, "group_by": "handler"})  # warm the token and roles
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(URL, {**PERIOD, "group_by": "handler"}).json()["results"]) == 2
    for n in range(4):
        judge = UserFactory(
            username=f"judge-extra-{n}", court=org["court"], division=org["division"], roles=["handler"]
        )
        case = services.register_case(
            None,
            case_number=f"（2024）{org['court'].code}民初{7000 + n}号",
            filed_on=START.replace(month=3, day=15),
            division=org["division"],
            handler=judge,
        )
        services.close_case(None, case, closed_on=END, closure_method="judgment")
    with CaptureQueriesContext(connection) as more:
        assert len(client.get(URL, {**PERIOD, "group_by": "handler"}).json()["results"]) == 6
    assert len(few) == len(more)


def test_bulletin_figures_carry_the_time_limit_fields(api, org, docket):
    bulletin = report_services.build_bulletin(Period(2024, 9), court=org["court"]).bulletin
    figures = api("tracking_officer").get(f"/api/v1/bulletins/{bulletin.pk}/").json()["figures"]
    court = next(f for f in figures if f["scope"] == "court")
    assert {
        "closed": court["closed_limited"],
        "closed_on_time": court["closed_on_time"],
        "excluded_days": court["excluded_days"],
        "extended": court["extended"],
        "overdue": court["overdue"],
        "hidden_flags": court["hidden_flags"],
    } == EXPECTED["court"]
    assert court["on_time_rate"] == pytest.approx(2 / 3) and court["extension_rate"] == pytest.approx(1 / 3)
    civil_2 = next(f for f in figures if f["scope"] == "division" and f["division"] == "civil-2")
    assert civil_2["on_time_rate"] is None and civil_2["overdue"] == 1 and civil_2["hidden_flags"] == 1
    judge_b = next(f for f in figures if f["scope"] == "handler" and f["handler"] == "judge-b")
    assert judge_b["hidden_flags"] == 1


def test_the_endpoint_is_in_the_schema(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/limit-figures/"]["get"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert params["start"]["required"] and params["end"]["required"]
    assert params["group_by"]["schema"]["enum"] == ["court", "division", "handler"]
    figure = schema["components"]["schemas"]["Figure"]["properties"]
    assert "on_time_rate" in figure and figure["hidden_flags"]["description"]


def test_bulletin_figures_csv_download(api, org, docket, client):
    bulletin = report_services.build_bulletin(Period(2024, 9), court=org["court"]).bulletin
    response = api("tracking_officer").get(f"/api/v1/bulletins/{bulletin.pk}/figures-csv/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 1 + 5 and "法定审限内结案率" in rows[0]
    assert api("clerk").get(f"/api/v1/bulletins/{bulletin.pk}/figures-csv/").status_code == 404  # a draft
    client.force_login(org["tracking_officer"])
    page = client.get(f"/reports/bulletins/{bulletin.pk}/figures.csv")
    assert page.status_code == 200
    assert "bulletin-2024-09-figures.csv" in page["Content-Disposition"]


def test_cases_without_a_handler_have_their_own_row(api, org, docket):
    services.register_case(
        None,
        case_number=f"（2024）{org['court'].code}民初6000号",
        filed_on=START.replace(month=1, day=10),
        division=org["other"],
        handler=None,
    )
    rows = api("president").get(URL, {**PERIOD, "group_by": "handler"}).json()["results"]
    nobody = [r for r in rows if r["handler"] is None]
    assert [(r["handler_name"], r["overdue"], r["closed"]) for r in nobody] == [("", 1, 0)]
