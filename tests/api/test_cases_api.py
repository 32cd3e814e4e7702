"""Contract tests of /api/v1/cases/: fields, filters, ordering, as_of, actions, timeline, export."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import ageing
from cases.models import Case, CaseEvent
from limits import services as limits_services

pytestmark = pytest.mark.django_db

CASE_FIELDS = {
    "id", "url", "case_number", "external_id", "court", "division", "handler", "clerk", "case_type", "category",
    "stage", "procedure", "cause", "parties", "filed_on", "status", "closed_on", "closure_method",
    "business_environment", "created_at", "updated_at", "as_of", "is_open", "age_days", "age_months",
    "aging_level", "line_6m", "line_15m", "deadline", "days_remaining", "limit_status",
}  # fmt: skip


def new_case(**overrides):
    body = {
        "case_number": "(2026)黔0281民初101号",
        "division": "civil-1",
        "handler": "judge1",
        "cause": "民间借贷纠纷",
        "parties": "张三诉李四",
        "filed_on": "2026-03-15",
    }
    body.update(overrides)
    return body


def test_create_returns_the_case_in_normal_form_with_a_registered_event(api, today):
    response = api("clerk").post("/api/v1/cases/", new_case(), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert set(data) == CASE_FIELDS
    assert data["case_number"] == "（2026）黔0281民初101号"
    assert data["case_type"] == "民初" and data["category"] == "civil" and data["procedure"] == "ordinary"
    assert data["division"] == "civil-1" and data["handler"] == "judge1" and data["court"] == "黔0281"
    assert data["status"] == "open" and data["closed_on"] is None and data["closure_method"] is None
    assert data["line_6m"] == "2026-09-15" and data["line_15m"] == "2027-06-15"
    assert data["url"].endswith(f"/api/v1/cases/{data['id']}/")
    kinds = list(CaseEvent.objects.filter(case_id=data["id"]).values_list("kind", flat=True))
    assert kinds == ["registered"]


def test_create_already_closed_case_records_registered_and_closed(api, today):
    body = new_case(status="closed", closed_on="2026-05-01", closure_method="mediation")
    response = api("integration").post("/api/v1/cases/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["aging_level"] == "closed"
    kinds = list(CaseEvent.objects.filter(case_id=response.json()["id"]).values_list("kind", flat=True))
    assert kinds == ["registered", "closed"]


def test_retrieve_and_age_fields_match_the_ageing_rule(api, make_case, today):
    case = make_case(filed_on=dt.date(2026, 3, 15))
    data = api("clerk").get(f"/api/v1/cases/{case.id}/").json()
    expected = ageing.age(case.filed_on, None, today)
    assert data["as_of"] == "2026-11-27"
    assert (data["age_days"], data["age_months"], data["aging_level"], data["is_open"]) == (
        expected.age_days,
        expected.age_months,
        expected.level,
        True,
    )


@pytest.mark.parametrize(
    "filed_on, as_of",
    [
        ("2024-08-31", "2025-02-28"),  # the 6-month line clipped to February's end: exactly 6 months
        ("2024-08-31", "2025-03-01"),  # the day after the line: over 6 months
        ("2023-08-31", "2024-02-29"),  # leap year
        ("2024-03-15", "2024-09-15"),
        ("2024-03-15", "2024-09-16"),
        ("2024-01-31", "2025-04-30"),  # 15-month line on a month end
        ("2024-01-31", "2025-05-01"),
        ("2024-05-31", "2024-11-30"),
        ("2024-12-31", "2025-06-30"),
    ],
)
def test_as_of_on_month_ends_equals_the_ageing_rule(api, make_case, today, filed_on, as_of):
    case = make_case(filed_on=dt.date.fromisoformat(filed_on))
    expected = ageing.age(case.filed_on, None, dt.date.fromisoformat(as_of), case.court.warning_window_days)
    client = api("clerk")
    for data in (
        client.get(f"/api/v1/cases/{case.id}/", {"as_of": as_of}).json(),
        client.get("/api/v1/cases/", {"as_of": as_of}).json()["results"][0],
    ):
        assert data["as_of"] == as_of
        assert data["age_days"] == expected.age_days
        assert data["age_months"] == expected.age_months
        assert data["aging_level"] == expected.level
        assert data["line_6m"] == expected.line_6m.isoformat()
        assert data["line_15m"] == expected.line_15m.isoformat()
    # The aging_level filter uses the same rule (ageing.level_q) and finds this case.
    found = client.get("/api/v1/cases/", {"as_of": as_of, "aging_level": expected.level}).json()
    assert [r["id"] for r in found["results"]] == [case.id]


def test_as_of_before_closing_shows_the_case_open(api, make_case, today):
    case = make_case(
        filed_on=dt.date(2025, 1, 10), status="closed", closed_on=dt.date(2025, 12, 1), closure_method="judgment"
    )
    data = api("clerk").get(f"/api/v1/cases/{case.id}/", {"as_of": "2025-08-01"}).json()
    assert data["is_open"] is True and data["aging_level"] == "over_6m" and data["status"] == "closed"
    data = api("clerk").get(f"/api/v1/cases/{case.id}/", {"as_of": "2026-01-01"}).json()
    assert data["is_open"] is False and data["aging_level"] == "closed"
    assert data["age_days"] == (dt.date(2025, 12, 1) - dt.date(2025, 1, 10)).days


def test_case_number_lookup_in_either_parenthesis_form(api, make_case, today):
    case = make_case(filed_on=dt.date(2024, 3, 15), seq=1234)
    make_case(filed_on=dt.date(2024, 3, 15), seq=1235)
    for form in ("（2024）黔0281民初1234号", "(2024)黔0281民初1234号", " (2024) 黔0281民初1234号 "):
        results = api("clerk").get("/api/v1/cases/", {"case_number": form}).json()["results"]
        assert [r["id"] for r in results] == [case.id]


def test_filters(api, make_case, org, today):
    a = make_case(
        filed_on=dt.date(2026, 1, 10), cause="买卖合同纠纷", parties="甲公司诉乙公司", business_environment=True
    )
    b = make_case(
        filed_on=dt.date(2025, 6, 1),
        status="closed",
        closed_on=dt.date(2025, 12, 31),
        closure_method="judgment",
        procedure="simple",
    )
    c = make_case(filed_on=dt.date(2025, 2, 1), division=org["other"], handler=org["other_handler"], case_type="执")
    c.case_number = f"（2025）黔0281执{c.seq}号"
    c.category = "enforcement"
    c.save()
    client = api("tracking_officer")

    def ids(**params):
        response = client.get("/api/v1/cases/", params)
        assert response.status_code == 200, response.json()
        return {r["id"] for r in response.json()["results"]}

    assert ids() == {a.id, b.id, c.id}
    assert ids(division="civil-2") == {c.id}
    assert ids(handler="judge2") == {c.id}
    assert ids(status="closed") == {b.id}
    assert ids(case_type="执") == {c.id}
    assert ids(category="civil") == {a.id, b.id}
    assert ids(procedure="simple") == {b.id}
    assert ids(business_environment="true") == {a.id}
    # Date bounds are inclusive.
    assert ids(filed_after="2025-06-01", filed_before="2026-01-10") == {a.id, b.id}
    assert ids(filed_after="2025-06-02") == {a.id}
    assert ids(closed_after="2025-12-31", closed_before="2025-12-31") == {b.id}
    assert ids(search="买卖") == {a.id}
    assert ids(search="乙公司") == {a.id}
    assert ids(search=f"(2025)黔0281执{c.seq}") == {c.id}
    assert ids(aging_level="over_15m") == {c.id}
    assert ids(aging_level="closed") == {b.id}
    assert ids(updated_since="2000-01-01") == {a.id, b.id, c.id}
    assert ids(updated_since="2999-01-01T00:00:00+08:00") == set()


def test_ordering(api, make_case, today):
    x = make_case(filed_on=dt.date(2025, 5, 1), seq=10)
    y = make_case(filed_on=dt.date(2025, 4, 1), seq=9)
    z = make_case(filed_on=dt.date(2024, 4, 1), seq=100, year=2024)
    client = api("clerk")

    def order(value):
        return [r["id"] for r in client.get("/api/v1/cases/", {"ordering": value}).json()["results"]]

    assert order("filed_on") == [z.id, y.id, x.id]
    assert order("-filed_on") == [x.id, y.id, z.id]
    assert order("-age") == [z.id, y.id, x.id]  # oldest first
    assert order("case_number") == [z.id, y.id, x.id]  # 2024 first, then 民初9号 before 民初10号
    assert order("-case_number") == [x.id, y.id, z.id]


def test_page_size_and_capped_count(api, make_case, today):
    for _ in range(7):
        make_case()
    client = api("clerk")
    page = client.get("/api/v1/cases/", {"page_size": 3, "page": 2}).json()
    assert page["count"] == 7 and page["count_is_exact"] is True and len(page["results"]) == 3
    assert page["next"] and page["previous"]
    assert client.get("/api/v1/cases/", {"page_size": 501}).status_code == 400
    assert client.get("/api/v1/cases/", {"page_size": 0}).status_code == 400
    assert client.get("/api/v1/cases/", {"page": 99}).status_code == 404


def test_count_is_capped_on_huge_lists(api, make_case, today, monkeypatch):
    from common.api import CappedPageNumberPagination

    monkeypatch.setattr(CappedPageNumberPagination, "count_cap", 5)
    for _ in range(8):
        make_case()
    page = api("clerk").get("/api/v1/cases/", {"page_size": 2}).json()
    assert page["count"] == 5 and page["count_is_exact"] is False
    # Pages beyond the cap are still served (the count grows to the requested page).
    deep = api("clerk").get("/api/v1/cases/", {"page_size": 2, "page": 4}).json()
    assert len(deep["results"]) == 2 and deep["next"] is None


def test_unknown_query_parameters_are_refused_by_name(api, make_case, today):
    case = make_case()
    client = api("clerk")
    response = client.get("/api/v1/cases/", {"divison": "civil-1", "status": "open", "foo": "1"})
    assert response.status_code == 400
    assert set(response.json()) == {"divison", "foo"}
    assert client.get(f"/api/v1/cases/{case.id}/", {"page": "1"}).status_code == 400
    assert client.get("/api/v1/divisions/", {"bogus": "1"}).status_code == 400
    assert client.get("/api/v1/cases/", {"as_of": "2026-01-01", "page_size": "5"}).status_code == 200


@pytest.mark.parametrize(
    "url, kwargs",
    [
        ("/api/v1/cases/", {}),
        ("/api/v1/cases/export/", {}),
        ("/api/v1/staff/", {}),
        ("/api/v1/divisions/", {}),
    ],
)
def test_query_count_does_not_depend_on_page_size(api, make_case, org, today, url, kwargs):
    for i in range(12):
        make_case(clerk=org["clerk"], handler=org["handler"] if i % 2 else org["head"])
    client = api("clerk")

    def count(size):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, {"page_size": size})
        assert response.status_code == 200
        return len(ctx.captured_queries)

    small, large = count(2), count(12)
    assert small == large
    assert large <= 8


def test_events_timeline_and_its_query_count(api, make_case, org, today):
    response = api("clerk").post("/api/v1/cases/", new_case(), format="json")
    case_id = response.json()["id"]
    client = api("clerk")
    client.post(f"/api/v1/cases/{case_id}/suspend/", {"note": "鉴定"}, format="json")
    client.post(f"/api/v1/cases/{case_id}/resume/", {}, format="json")
    with CaptureQueriesContext(connection) as ctx:
        data = client.get(f"/api/v1/cases/{case_id}/events/").json()
    assert [e["kind"] for e in data["results"]] == ["registered", "suspended", "resumed"]
    assert data["results"][1]["note"] == "鉴定" and data["results"][1]["actor"] == "clerk1"
    assert len(ctx.captured_queries) <= 7


def test_actions_record_events(api, make_case, org, today):
    case = make_case(filed_on=dt.date(2026, 1, 5))
    client = api("clerk")
    url = f"/api/v1/cases/{case.id}/"
    assert client.post(url + "suspend/", {"on": "2026-11-20"}, format="json").json()["status"] == "suspended"
    assert client.post(url + "suspend/", {}, format="json").status_code == 400  # already suspended
    assert client.post(url + "resume/", {}, format="json").json()["status"] == "open"
    moved = client.post(url + "transfer/", {"division": "civil-2", "handler": "judge2"}, format="json")
    assert moved.status_code == 200 and moved.json()["division"] == "civil-2"
    # The clerk of civil-1 no longer sees the case once moved to civil-2.
    assert client.post(url + "close/", {}, format="json").status_code == 404
    integration = api("integration")
    closed = integration.post(url + "close/", {"closed_on": "2026-11-26", "closure_method": "mediation"}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert integration.post(url + "reopen/", {}, format="json").status_code == 400  # a note is required
    reopened = integration.post(url + "reopen/", {"note": "结案信息录入错误"}, format="json")
    assert reopened.json()["status"] == "open" and reopened.json()["closed_on"] is None
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == ["suspended", "resumed", "transferred", "closed", "reopened"]
    assert CaseEvent.objects.get(case=case, kind="suspended").effective_on == dt.date(2026, 11, 20)


def test_a_write_answers_the_case_as_a_read_of_it_does(api, make_case, org, today):
    """The answer to a write is the case re-read with the columns of a read (its age and clock as
    of ?as_of=), also when the write moved it out of the writer's view."""
    case = make_case(filed_on=dt.date(2025, 9, 30))
    limits_services.initialise_clocks(Case.objects.filter(pk=case.pk), today)
    clerk = api("clerk")
    url = f"/api/v1/cases/{case.id}/"
    suspended = clerk.post(url + "suspend/", {"on": "2026-11-20"}, format="json").json()
    assert suspended == clerk.get(url).json()
    assert suspended["deadline"] is not None  # a running period: the deadline grows day by day
    patched = clerk.patch(url + "?as_of=2026-03-31", {"cause": "买卖合同纠纷"}, format="json").json()
    assert patched == clerk.get(url, {"as_of": "2026-03-31"}).json()
    assert patched["as_of"] == "2026-03-31"
    assert patched["aging_level"] == ageing.age(case.filed_on, None, dt.date(2026, 3, 31)).level == "over_6m"
    moved = clerk.post(url + "transfer/", {"division": "civil-2", "handler": "judge2"}, format="json")
    assert moved.status_code == 200
    assert clerk.get(url).status_code == 404
    assert moved.json() == api("integration").get(url).json()


def test_as_of_is_resolved_once_per_request(api, make_case, today, monkeypatch):
    """The queryset, the ageing filter and the serializer read one as_of, parsed once."""
    from common import api as common_api

    make_case(filed_on=dt.date(2025, 7, 1))
    parsed = []
    parse = common_api.parse_iso_date
    monkeypatch.setattr(common_api, "parse_iso_date", lambda raw, field: parsed.append(raw) or parse(raw, field))
    client = api("clerk")
    for url in ("/api/v1/cases/", "/api/v1/cases/export/"):
        parsed.clear()
        response = client.get(url, {"as_of": "2026-02-15", "aging_level": "over_6m"})
        assert response.status_code == 200 and len(response.json()["results"]) == 1
        assert parsed == ["2026-02-15"]


def test_update_status_through_put_and_patch_records_the_same_events(api, make_case, today):
    case = make_case(filed_on=dt.date(2026, 1, 5))
    client = api("integration")
    url = f"/api/v1/cases/{case.id}/"
    body = client.get(url).json()
    body.update({"status": "closed", "closed_on": "2026-11-01", "closure_method": "judgment", "cause": "借款合同纠纷"})
    response = client.put(url, body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["cause"] == "借款合同纠纷"
    assert client.patch(url, {"status": "open"}, format="json").json()["closed_on"] is None
    assert client.patch(url, {"cause": "借款合同纠纷"}, format="json").status_code == 200  # no change: no event
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == ["updated", "closed", "reopened"]


def test_no_delete(api, make_case, today):
    case = make_case()
    assert api("admin").delete(f"/api/v1/cases/{case.id}/").status_code == 405
    assert Case.objects.filter(pk=case.pk).exists()


def test_export_pages_in_updated_at_id_order_and_resumes(api, make_case, today):
    cases = [make_case() for _ in range(5)]
    Case.objects.filter(pk__in=[c.pk for c in cases[:3]]).update(updated_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    client = api("integration")
    page = client.get("/api/v1/cases/export/", {"page_size": 2}).json()
    seen = [r["id"] for r in page["results"]]
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [r["id"] for r in page["results"]]
    expected = list(Case.objects.order_by("updated_at", "id").values_list("id", flat=True))
    assert seen == expected
    # Nothing changed since: resuming gives an empty page; a change shows up.
    resumed = client.get(page["resume"]).json()
    assert resumed["results"] == [] and resumed["next"] is None
    client.patch(f"/api/v1/cases/{cases[0].id}/", {"cause": "新案由"}, format="json")
    assert [r["id"] for r in client.get(page["resume"]).json()["results"]] == [cases[0].id]
    assert client.get("/api/v1/cases/export/", {"cursor": "garbage"}).status_code == 400


def test_export_accepts_filters(api, make_case, org, today):
    make_case()
    other = make_case(division=org["other"], handler=org["other_handler"])
    data = api("integration").get("/api/v1/cases/export/", {"division": "civil-2"}).json()
    assert [r["id"] for r in data["results"]] == [other.id]


def test_aging_level_filter_agrees_with_the_ageing_rule_around_every_line(api, make_case, today):
    """The filter adds a filing-date bound as an index hint; it must select exactly the cases
    whose ageing.age() level is the one asked for, on the days around the lines."""
    as_ofs = [dt.date(2026, 2, 28), dt.date(2026, 3, 31), dt.date(2026, 8, 31), dt.date(2026, 11, 27)]
    filed = set()
    for as_of in as_ofs:
        for months in (6, 15):
            for warning in (0, 30, 31):
                cutoff = ageing.filed_cutoff(months, as_of + dt.timedelta(days=warning))
                filed |= {cutoff + dt.timedelta(days=d) for d in (-1, 0, 1)}
    cases = [make_case(filed_on=day) for day in sorted(filed) if day <= today]
    closed = cases[::7]
    for case in closed:
        case.status, case.closed_on, case.closure_method = "closed", case.filed_on + dt.timedelta(days=200), "judgment"
        case.save()
    client = api("tracking_officer")
    for as_of in as_ofs:
        for level, _label in ageing.Level.CHOICES:
            expected = {
                c.id
                for c in cases
                if ageing.age(c.filed_on, c.closed_on, as_of, c.court.warning_window_days).level == level
            }
            params = {"aging_level": level, "as_of": as_of.isoformat(), "page_size": 500}
            got = {r["id"] for r in client.get("/api/v1/cases/", params).json()["results"]}
            assert got == expected, (as_of, level)
