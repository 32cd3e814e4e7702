"""Contract tests of /api/v1/alerts/, plans/, dispatches/ and bulletins/ (on the alerts and
reports apps' models and services)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from alerts.models import Alert, ClearancePlan, DispatchItem, DispatchList
from reports import services as report_services
from reports.periods import Period
from reports.tasks import publish_bulletin_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_case(make_case):
    return make_case(filed_on=dt.date(2025, 3, 10))  # over 15 months on 2026-11-27


@pytest.fixture
def alert(old_case):
    return Alert.objects.create(
        case=old_case, level="over_15m", line_date=old_case.line_15m, raised_on=dt.date(2026, 6, 11)
    )


def test_alert_list_filters_and_acknowledge(api, alert, old_case, make_case, org, today):
    other = make_case(filed_on=dt.date(2025, 1, 1), division=org["other"], handler=org["other_handler"])
    Alert.objects.create(
        case=other,
        level="over_6m",
        line_date=other.line_6m,
        raised_on=dt.date(2025, 7, 2),
        resolved_on=dt.date(2025, 9, 1),
        resolution="level_changed",
    )
    client = api("tracking_officer")
    data = client.get("/api/v1/alerts/").json()
    assert data["count"] == 2
    row = next(r for r in data["results"] if r["id"] == alert.id)
    assert row["case_number"] == old_case.case_number and row["level"] == "over_15m"
    assert row["division"] == "civil-1" and row["handler"] == "judge1" and row["is_active"] is True

    def ids(**params):
        response = client.get("/api/v1/alerts/", params)
        assert response.status_code == 200, response.json()
        return {r["id"] for r in response.json()["results"]}

    assert ids(case_number=old_case.case_number.replace("（", "(").replace("）", ")")) == {alert.id}
    assert ids(division="civil-1") == {alert.id}
    assert ids(handler="judge2") == {alert.id + 1}
    assert ids(level="over_15m") == {alert.id}
    assert ids(resolved="false") == {alert.id}
    assert ids(raised_after="2026-06-11", raised_before="2026-06-11") == {alert.id}
    assert ids(updated_since="2026-01-01") == {alert.id}
    assert client.get("/api/v1/alerts/", {"levle": "x"}).status_code == 400
    # The civil-1 clerk sees only civil-1 alerts; acknowledging records who and when, once.
    clerk = api("clerk")
    assert [r["id"] for r in clerk.get("/api/v1/alerts/").json()["results"]] == [alert.id]
    response = clerk.post(f"/api/v1/alerts/{alert.id}/acknowledge/")
    assert response.status_code == 200 and response.json()["acknowledged_by"] == "clerk1"
    api("head").post(f"/api/v1/alerts/{alert.id}/acknowledge/")
    alert.refresh_from_db()
    assert alert.acknowledged_by == org["clerk"]
    assert api("other_handler").post(f"/api/v1/alerts/{alert.id}/acknowledge/").status_code == 404
    assert ids(updated_since=timezone.now().isoformat()) == set()


def test_plans_file_approve_return(api, old_case, org, today):
    handler = api("handler")
    body = {
        "case_number": old_case.case_number,
        "reason": "appraisal",
        "expected_close_on": "2027-01-31",
        "steps": "鉴定意见已出，下月开庭",
    }
    response = handler.post("/api/v1/plans/", body, format="json")
    assert response.status_code == 201, response.json()
    plan = response.json()
    assert plan["status"] == "submitted" and plan["version"] == 1 and plan["author"] == "judge1"
    assert plan["case"] == old_case.id
    # The handler cannot approve; the head returns it with a comment, then approves the next version.
    assert handler.post(f"/api/v1/plans/{plan['id']}/approve/", {}, format="json").status_code == 403
    head = api("head")
    assert head.post(f"/api/v1/plans/{plan['id']}/return/", {}, format="json").status_code == 400
    returned = head.post(f"/api/v1/plans/{plan['id']}/return/", {"comment": "写明开庭日期"}, format="json")
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    second = handler.post("/api/v1/plans/", {**body, "case": old_case.id, "steps": "12月5日开庭"}, format="json")
    assert second.status_code == 201 and second.json()["version"] == 2
    approved = head.post(f"/api/v1/plans/{second.json()['id']}/approve/", {"comment": "同意"}, format="json")
    assert approved.json()["status"] == "approved" and approved.json()["reviewer"] == "head1"
    listed = head.get("/api/v1/plans/", {"case_number": old_case.case_number}).json()
    assert [p["version"] for p in listed["results"]] == [2, 1]
    assert head.get("/api/v1/plans/", {"status": "approved"}).json()["count"] == 1
    assert head.get("/api/v1/plans/", {"updated_since": "2026-11-27"}).json()["count"] == 2
    # Bad input: unknown case, missing fields, a case the user cannot see.
    assert "case" in handler.post("/api/v1/plans/", {**body, "case_number": "(2026)黔0281民初999999号"}).json()
    assert "steps" in handler.post("/api/v1/plans/", {"case": old_case.id, "reason": "other"}).json()
    assert api("other_handler").post("/api/v1/plans/", body, format="json").status_code == 400


def test_dispatch_list_with_items_and_acknowledge(api, old_case, org, today):
    dispatch = DispatchList.objects.create(
        division=org["division"],
        week_start=dt.date(2026, 11, 16),
        week_end=dt.date(2026, 11, 22),
        as_of=dt.date(2026, 11, 23),
        head=org["head"],
        built_at=timezone.now(),
    )
    DispatchItem.objects.create(
        dispatch_list=dispatch,
        case=old_case,
        handler=org["handler"],
        level="over_15m",
        over_15m=True,
        missing_plan=True,
        filed_on=old_case.filed_on,
    )
    data = api("head").get(f"/api/v1/dispatches/{dispatch.id}/").json()
    assert data["division"] == "civil-1" and data["head"] == "head1"
    assert [(i["case_number"], i["missing_plan"], i["handler"]) for i in data["items"]] == [
        (old_case.case_number, True, "judge1")
    ]
    assert api("head").get("/api/v1/dispatches/", {"acknowledged": "false"}).json()["count"] == 1
    assert api("clerk").post(f"/api/v1/dispatches/{dispatch.id}/acknowledge/").status_code == 403
    assert api("other_handler").get(f"/api/v1/dispatches/{dispatch.id}/").status_code == 404
    response = api("head").post(f"/api/v1/dispatches/{dispatch.id}/acknowledge/")
    assert response.status_code == 200 and response.json()["acknowledged_by"] == "head1"


def test_dispatch_list_query_count_does_not_grow_with_items(api, make_case, org, today):
    def make_list(week_start, n):
        dispatch = DispatchList.objects.create(
            division=org["division"],
            week_start=week_start,
            week_end=week_start + dt.timedelta(days=6),
            as_of=week_start + dt.timedelta(days=7),
            head=org["head"],
            built_at=timezone.now(),
        )
        for _ in range(n):
            case = make_case(filed_on=dt.date(2025, 3, 1))
            DispatchItem.objects.create(
                dispatch_list=dispatch, case=case, handler=org["handler"], level="over_6m", filed_on=case.filed_on
            )

    make_list(dt.date(2026, 11, 2), 1)
    client = api("head")
    with CaptureQueriesContext(connection) as small:
        client.get("/api/v1/dispatches/")
    make_list(dt.date(2026, 11, 9), 6)
    make_list(dt.date(2026, 11, 16), 6)
    with CaptureQueriesContext(connection) as large:
        assert client.get("/api/v1/dispatches/").json()["count"] == 3
    assert len(small.captured_queries) == len(large.captured_queries)


@pytest.fixture
def bulletin(old_case, make_case, org):
    make_case(filed_on=dt.date(2026, 1, 20))  # over 6 months at the end of October 2026
    return report_services.build_bulletin(Period(2026, 10), court=org["court"]).bulletin


def test_bulletin_list_detail_items_and_exports(api, bulletin, old_case, today):
    client = api("tracking_officer")
    listing = client.get("/api/v1/bulletins/", {"period": "2026-10"}).json()
    assert [b["id"] for b in listing["results"]] == [bulletin.id]
    assert client.get("/api/v1/bulletins/", {"period": "2026-13"}).status_code == 400
    detail = client.get(f"/api/v1/bulletins/{bulletin.id}/").json()
    assert detail["status"] == "draft" and detail["as_of"] == "2026-10-31"
    court_row = next(f for f in detail["figures"] if f["scope"] == "court")
    assert court_row["listed"] == 2 and court_row["over_15m"] == 1
    items = client.get(detail["items_url"]).json()
    assert {i["case_number"] for i in items["results"]} >= {old_case.case_number}
    keys = client.get(detail["items_url"], {"key_warning": "true"}).json()["results"]
    assert [i["case_number"] for i in keys] == [old_case.case_number]
    assert client.get(detail["items_url"], {"bogus": "1"}).status_code == 400

    response = client.get(f"/api/v1/bulletins/{bulletin.id}/csv/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert any(old_case.case_number in row for row in rows)
    response = client.get(f"/api/v1/bulletins/{bulletin.id}/xlsx/")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert any(
        old_case.case_number in [c for c in row if isinstance(c, str)]
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
    )
    # Drafts are for the trial management office and leadership; a clerk sees none.
    assert api("clerk").get("/api/v1/bulletins/").json()["count"] == 0
    assert api("clerk").get(f"/api/v1/bulletins/{bulletin.id}/csv/").status_code == 404


def test_a_failed_publication_is_a_draft_again_with_its_error(api, bulletin, org, settings, tmp_path):
    assert api("tracking_officer").post(f"/api/v1/bulletins/{bulletin.id}/publish/").status_code == 202
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    settings.MEDIA_ROOT = blocked  # the PDF cannot be stored
    with pytest.raises(OSError):
        publish_bulletin_task.run(bulletin.id, org["tracking_officer"].pk)
    data = api("tracking_officer").get(f"/api/v1/bulletins/{bulletin.id}/").json()
    assert data["status"] == "draft" and str(blocked) in data["publish_error"]
    settings.MEDIA_ROOT = tmp_path / "media"
    retried = api("tracking_officer").post(f"/api/v1/bulletins/{bulletin.id}/publish/")
    assert retried.status_code == 202 and retried.json()["publish_error"] == ""


def test_publishing_with_the_broker_away_answers_202_and_waits(
    api, bulletin, org, broker_away, django_capture_on_commit_callbacks
):
    from jobs.models import JobRun

    with django_capture_on_commit_callbacks(execute=True):
        response = api("tracking_officer").post(f"/api/v1/bulletins/{bulletin.id}/publish/")
    assert response.status_code == 202 and response.json()["status"] == "publishing"
    assert JobRun.objects.get().outcome == "waiting"


@pytest.mark.slow
def test_bulletin_publish_sign_off_and_pdf(api, bulletin, org, today):
    assert api("head").post(f"/api/v1/bulletins/{bulletin.id}/publish/").status_code == 404  # drafts are hidden
    assert api("president").post(f"/api/v1/bulletins/{bulletin.id}/publish/").status_code == 403
    with CaptureQueriesContext(connection) as queries:
        response = api("tracking_officer").post(f"/api/v1/bulletins/{bulletin.id}/publish/")
    assert response.status_code == 202, response.json()
    assert len(queries) <= 20  # figures and sign-offs prefetched, not one query per row
    accepted = response.json()
    assert (accepted["status"], accepted["issue_number"], accepted["pdf_sha256"]) == ("publishing", None, "")
    assert accepted["publishing_by"] == "tracker1" and accepted["publishing_started_at"]
    assert accepted["publish_error"] == "" and accepted["figures"]
    # Asked again while publishing: refused, naming the field; the PDF is not offered yet.
    again = api("tracking_officer").post(f"/api/v1/bulletins/{bulletin.id}/publish/")
    assert again.status_code == 400 and "status" in again.json()
    waiting = api("tracking_officer").get(f"/api/v1/bulletins/{bulletin.id}/pdf/")
    assert waiting.status_code == 409 and "status" in waiting.json()
    assert api("tracking_officer").get("/api/v1/bulletins/?status=publishing").json()["count"] == 1

    # The worker's part, run here in-process (tests/reports/test_worker.py runs a real worker).
    publish_bulletin_task.run(bulletin.id, org["tracking_officer"].pk)
    published = api("tracking_officer").get(f"/api/v1/bulletins/{bulletin.id}/").json()
    assert published["status"] == "published" and published["issue_number"] == 1 and published["pdf_sha256"]
    assert api("tracking_officer").post(f"/api/v1/bulletins/{bulletin.id}/publish/").status_code == 400
    pdf = api("clerk").get(f"/api/v1/bulletins/{bulletin.id}/pdf/")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    # The head of civil-1 signs off civil-1, not civil-2; nobody else signs off civil-1.
    assert (
        api("tracking_officer")
        .post(f"/api/v1/bulletins/{bulletin.id}/sign-off/", {"division": "civil-1"}, format="json")
        .status_code
        == 403
    )
    signed = api("head").post(
        f"/api/v1/bulletins/{bulletin.id}/sign-off/", {"division": "civil-1", "note": "已阅"}, format="json"
    )
    assert signed.status_code == 200 and signed.json()["signed_by"] == "head1"
    detail = api("head").get(f"/api/v1/bulletins/{bulletin.id}/").json()
    assert [s["division"] for s in detail["sign_offs"]] == ["civil-1"]
    bad = api("head").post(f"/api/v1/bulletins/{bulletin.id}/sign-off/", {"division": "nowhere"}, format="json")
    assert bad.status_code == 400 and "division" in bad.json()


def test_plan_and_alert_query_counts_do_not_depend_on_page_size(api, make_case, org, today):
    for i in range(6):
        case = make_case(filed_on=dt.date(2025, 1, 1 + i))
        Alert.objects.create(case=case, level="over_15m", line_date=case.line_15m, raised_on=dt.date(2026, 4, 2))
        ClearancePlan.objects.create(
            case=case,
            version=1,
            author=org["handler"],
            reason="appraisal",
            expected_close_on=dt.date(2027, 1, 1),
            steps="x",
            status="submitted",
            submitted_at=timezone.now(),
        )
    client = api("head")
    for url in ("/api/v1/alerts/", "/api/v1/plans/", "/api/v1/bulletins/"):
        counts = []
        for size in (1, 6):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url, {"page_size": size}).status_code == 200
            counts.append(len(ctx.captured_queries))
        assert counts[0] == counts[1], url


def test_time_limit_alerts_are_in_the_alerts_api_beside_ageing_ones(api, alert, old_case, org, today):
    """A case carries an active ageing alert and an active time-limit alert at once; both are
    listed, filtered by kind and level, and acknowledged with the same action."""
    limit = Alert.objects.create(
        case=old_case,
        kind="time_limit",
        level="limit_overdue",
        line_date=dt.date(2025, 9, 12),
        raised_on=dt.date(2025, 9, 13),
    )
    client = api("head")

    def ids(**params):
        response = client.get("/api/v1/alerts/", params)
        assert response.status_code == 200, response.json()
        return {r["id"] for r in response.json()["results"]}

    assert ids(resolved="false") == {alert.id, limit.id}
    assert ids(kind="time_limit") == {limit.id}
    assert ids(kind="ageing") == {alert.id}
    assert ids(level="limit_overdue") == {limit.id}
    row = client.get(f"/api/v1/alerts/{limit.id}/").json()
    assert (row["kind"], row["level"], row["line_date"], row["is_active"]) == (
        "time_limit",
        "limit_overdue",
        "2025-09-12",
        True,
    )
    for bad in ({"kind": "statutory"}, {"level": "limit_3"}):
        response = client.get("/api/v1/alerts/", bad)
        assert response.status_code == 400 and list(response.json()) == list(bad)
    response = client.post(f"/api/v1/alerts/{limit.id}/acknowledge/")
    assert response.status_code == 200 and response.json()["acknowledged_by"] == "head1"
    limit.refresh_from_db()
    assert limit.acknowledged_by == org["head"]


def test_schema_documents_the_alert_families_and_levels(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    enums = schema["components"]["schemas"]
    assert {"limit_30", "limit_15", "limit_7", "limit_overdue", "over_15m"} <= set(enums["AlertLevelEnum"]["enum"])
    alert = enums["Alert"]["properties"]
    assert "time_limit" in alert["kind"]["description"] and "limit_overdue" in alert["level"]["description"]
    params = {p["name"]: p for p in schema["paths"]["/api/v1/alerts/"]["get"]["parameters"]}
    assert set(params["kind"]["schema"]["enum"]) == {"ageing", "time_limit"}
    assert "limit_overdue" in params["level"]["schema"]["enum"]


def test_a_large_draft_s_pdf_is_refused_with_409_naming_the_reason(api, bulletin, settings):
    listed = bulletin.items.count()
    assert listed > 0
    settings.BULLETIN_DRAFT_PDF_MAX_CASES = listed - 1
    response = api("tracking_officer").get(f"/api/v1/bulletins/{bulletin.id}/pdf/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    assert f"This draft lists {listed:,} cases" in response.json()["status"][0]
    settings.BULLETIN_DRAFT_PDF_MAX_CASES = listed
    small = api("tracking_officer").get(f"/api/v1/bulletins/{bulletin.id}/pdf/")
    assert small.status_code == 200 and small.content[:4] == b"%PDF"
