"""The edges of the API's input: values that are well formed but extreme (a 100,000-deep JSON
array, a 22-digit page number, a date at either end of the calendar, a UTC offset of 23:59, a
newline in a path). Each answers a JSON 4xx naming the parameter, never a 500 or an HTML page;
the bounds are in docs/API.md."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import schemathesis
from schemathesis.specs.openapi.checks import response_schema_conformance

from cases.models import Case
from reports import services as report_services
from reports.periods import Period
from tests.api.conftest import rows_behind_every_list

pytestmark = pytest.mark.django_db

HUGE_PAGE = "9999999999999999999999"
CALENDAR_ENDS = ["0001-01-01", "9999-12-31"]


def assert_names(response, parameter: str, status: int = 400) -> None:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    assert parameter in response.json(), response.json()


@pytest.fixture
def listing(org, make_case, today):
    """One row behind every list of the API, so that each list and nested list has a page 1."""
    case = make_case(filed_on=dt.date(2025, 3, 10))
    rows_behind_every_list(org, case)
    bulletin = report_services.build_bulletin(Period(2026, 10), court=org["court"]).bulletin
    return {"case": case, "bulletin": bulletin}


def _fill(path: str, listing) -> str:
    owner = listing["bulletin"] if path.startswith("/api/v1/bulletins/") else listing["case"]
    return path.replace("{id}", str(owner.pk)).replace("{case_pk}", str(owner.pk))


def _paginated_lists(client) -> list[str]:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    return sorted(
        path
        for path, methods in schema["paths"].items()
        if any(p["name"] == "page" for p in methods.get("get", {}).get("parameters", []))
    )


# --- page numbers ---------------------------------------------------------------------------


def test_every_paginated_list_is_found_in_the_schema(api, listing):
    lists = _paginated_lists(api("admin"))
    for path in ["/api/v1/cases/", "/api/v1/alerts/", "/api/v1/plans/", "/api/v1/bulletins/{id}/items/"]:
        assert path in lists
    # The schema states the bounds, so that a client (and schemathesis) knows them.
    schema = api("admin").get("/api/schema/", HTTP_ACCEPT="application/json").json()
    page = next(p for p in schema["paths"]["/api/v1/cases/"]["get"]["parameters"] if p["name"] == "page")
    assert page["schema"]["minimum"] == 1 and page["schema"]["maximum"] == 1_000_000


def test_a_page_number_out_of_bounds_is_a_400_naming_page_on_every_list(api, listing):
    client = api("admin")
    for path in _paginated_lists(client):
        url = _fill(path, listing)
        assert client.get(url).status_code == 200, url
        for number in [HUGE_PAGE, "1000001", "0", "-1", "x", "1.5", "١"]:
            assert_names(client.get(url, {"page": number}), "page")


def test_a_page_within_bounds_but_past_the_end_is_a_404(api, listing):
    client = api("admin")
    for page in ("2", "1000000"):
        response = client.get("/api/v1/cases/", {"page": page})
        assert response.status_code == 404 and response["Content-Type"] == "application/json"
        assert "detail" in response.json()


# --- deeply nested JSON ---------------------------------------------------------------------


@pytest.mark.parametrize("body", ["[" * 100_000, "[" * 100_000 + "]" * 100_000, '{"a":' * 50 + "1" + "}" * 50])
def test_deeply_nested_json_is_a_400_on_every_kind_of_json_endpoint(api, listing, org, body):
    client = api("admin")
    case, before = listing["case"], Case.objects.count()
    period = listing["case"].excluded_periods.first()
    for method, url in [
        ("POST", "/api/v1/cases/"),
        ("POST", "/api/v1/cases/bulk/"),
        ("PATCH", f"/api/v1/cases/{case.pk}/"),
        ("PUT", f"/api/v1/cases/{case.pk}/"),
        ("POST", f"/api/v1/cases/{case.pk}/suspend/"),
        ("POST", f"/api/v1/cases/{case.pk}/excluded-periods/"),
        ("PATCH", f"/api/v1/excluded-periods/{period.pk}/"),
        ("POST", "/api/v1/plans/"),
        ("POST", "/api/v1/divisions/"),
        ("POST", f"/api/v1/bulletins/{listing['bulletin'].pk}/sign-off/"),
    ]:
        response = client.generic(method, url, body, content_type="application/json")
        assert response.status_code == 400, (method, url, response.status_code)
        assert response["Content-Type"] == "application/json"
        assert "32" in response.json()["detail"], response.json()  # the limit, in the user's language
    assert Case.objects.count() == before


def test_json_nested_within_the_limit_is_read_as_usual(api, org, today):
    # A bulk batch is an array of objects (depth 2); a value may itself be a small structure.
    rows = [{"case_number": "(2026)黔0281民初77号", "division": "civil-1", "filed_on": "2026-03-15", "x": [[[1]]]}]
    response = api("integration").post("/api/v1/cases/bulk/", rows, format="json")
    assert response.status_code == 200, response.content
    deep = json.dumps({"case_number": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]})
    response = api("integration").generic("POST", "/api/v1/cases/", deep, content_type="application/json")
    assert_names(response, "case_number")  # 32 levels: parsed, then refused by the serializer


# --- dates at the ends of the calendar ------------------------------------------------------


def test_as_of_outside_the_range_is_a_400_naming_as_of(api, listing):
    client = api("admin")
    case = listing["case"]
    for day in CALENDAR_ENDS + ["1899-12-31", "3000-01-01"]:
        for url, params in [
            ("/api/v1/cases/", {"as_of": day, "aging_level": "over_6m"}),
            ("/api/v1/cases/", {"as_of": day, "aging_level": "approaching_15m"}),
            ("/api/v1/cases/", {"as_of": day}),
            (f"/api/v1/cases/{case.pk}/", {"as_of": day}),
            ("/api/v1/cases/export/", {"as_of": day}),
        ]:
            assert_names(client.get(url, params), "as_of")
        assert_names(client.get("/api/v1/limit-figures/", {"start": day, "end": "2026-10-31"}), "start")
        assert_names(client.get("/api/v1/limit-figures/", {"start": "2026-10-01", "end": day}), "end")


def test_as_of_at_the_ends_of_the_range_works(api, listing):
    client = api("admin")
    for day in ("1900-01-01", "2999-12-31"):
        for level in ("over_6m", "approaching_6m", "over_15m", "approaching_15m"):
            response = client.get("/api/v1/cases/", {"as_of": day, "aging_level": level})
            assert response.status_code == 200, response.content
    assert client.get("/api/v1/limit-figures/", {"start": "1900-01-01", "end": "2999-12-31"}).status_code == 200


def test_date_filters_outside_the_range_are_a_400_naming_them(api, listing):
    client = api("admin")
    for name in ["filed_after", "filed_before", "closed_after", "closed_before"]:
        for day in CALENDAR_ENDS:
            assert_names(client.get("/api/v1/cases/", {name: day}), name)
    assert_names(client.get("/api/v1/alerts/", {"raised_after": "0001-01-01"}), "raised_after")
    assert_names(client.get("/api/v1/dispatches/", {"week_start": "9999-12-31"}), "week_start")


# --- updated_since: any ISO 8601 offset -----------------------------------------------------

SYNCED = ["/api/v1/cases/", "/api/v1/plans/", "/api/v1/alerts/", "/api/v1/cases/export/"]


@pytest.mark.parametrize("path", SYNCED)
def test_updated_since_takes_any_utc_offset(api, listing, path):
    client = api("admin")
    moment = Case.objects.get(pk=listing["case"].pk).updated_at
    # The same instant written with the widest offsets ISO 8601 and Python allow (beyond
    # PostgreSQL's ±15:59): the row changed at that instant is included, a minute later is not.
    for offset in (dt.timedelta(hours=-23, minutes=-59), dt.timedelta(hours=23, minutes=59)):
        zone = dt.timezone(offset)
        written = moment.astimezone(zone).isoformat()
        response = client.get(path, {"updated_since": written})
        assert response.status_code == 200, (written, response.content)
        if path in ("/api/v1/cases/", "/api/v1/cases/export/"):
            assert [r["id"] for r in response.json()["results"]] == [listing["case"].pk]
            later = (moment + dt.timedelta(minutes=1)).astimezone(zone).isoformat()
            assert client.get(path, {"updated_since": later}).json()["results"] == []
    for written in ("2026-01-01T23:59:59-23:59", "2026-01-01T00:00:00+23:59"):
        assert client.get(path, {"updated_since": written}).status_code == 200


@pytest.mark.parametrize("path", SYNCED)
def test_updated_since_outside_the_range_or_impossible_is_a_400(api, listing, path):
    for written in [
        "9999-12-31T23:59:59-23:59",
        "0001-01-01T00:00:00+23:59",
        "9999-12-31",
        "0001-01-01",
        "3000-01-01T00:00:00+08:00",
        "2026-01-01T00:00:00+24:00",
        "2026-01-01T00:00:00+99:99",
        "2026-01-01T25:00:00",
    ]:
        assert_names(api("admin").get(path, {"updated_since": written}), "updated_since")


def test_an_export_cursor_with_an_extreme_offset_or_date_is_a_400(api, listing):
    import base64

    client = api("admin")
    for stamp in ("2026-01-01T00:00:00-23:59", "9999-12-31T23:59:59-23:59", "2026-01-01T25:00:00+08:00"):
        cursor = base64.urlsafe_b64encode(f"{stamp}|1".encode()).decode().rstrip("=")
        response = client.get("/api/v1/cases/export/", {"cursor": cursor})
        if stamp.startswith("2026-01-01T00"):
            assert response.status_code == 200, response.content  # a valid instant, only a wide offset
        else:
            assert_names(response, "cursor")


# --- paths, methods ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/api/v1/cases/%0A/", "/api/v1/cases/%0A", "/api/%0A", "/api/v1/%0D%0A/", "/api/v1/cases/1/%0A/events/"]
)
def test_a_malformed_path_under_the_api_answers_json(api, listing, url):
    for method in ("GET", "POST", "DELETE"):
        response = api("admin").generic(method, url)
        assert response.status_code == 404, (method, url, response.status_code)
        assert response["Content-Type"] == "application/json", (method, url)
        assert "detail" in response.json()


def test_too_many_form_fields_under_the_api_is_a_json_400(api, listing, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = "&".join(f"f{i}=1" for i in range(20))
    response = api("admin").generic(
        "POST", "/api/v1/divisions/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_a_server_error_under_the_api_answers_json_and_pages_keep_their_html(client, api, listing, monkeypatch):
    from cases.api import views as case_views

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(case_views.CaseViewSet, "get_queryset", broken)
    api_client = api("admin")
    api_client.raise_request_exception = False
    response = api_client.get("/api/v1/cases/")
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert "a bug" not in response.content.decode() and "detail" in response.json()
    client.raise_request_exception = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_errors_are_json_whatever_format_the_endpoint_or_the_client_chose(api, listing):
    client = api("admin")
    bulletin = listing["bulletin"].pk
    for method, url, accept, status in [
        ("GET", "/api/v1/bulletins/999999/csv/", "text/csv", 404),
        ("GET", "/api/v1/bulletins/999999/pdf/", "application/pdf", 404),
        ("GET", f"/api/v1/bulletins/{bulletin}/csv/?page=x", "text/csv", 400),
        ("GET", "/api/v1/cases/?page=x", "text/html", 400),
        ("GET", "/api/v1/cases/?page=x&format=api", "text/html", 400),
        ("GET", "/api/v1/cases/999999/", "text/html", 404),
        ("TRACE", "/api/schema/", "*/*", 405),
        ("POST", "/api/docs/", "text/html", 405),
    ]:
        response = client.generic(method, url, HTTP_ACCEPT=accept)
        assert response.status_code == status, (method, url, response.status_code)
        assert response["Content-Type"] == "application/json", (method, url, response["Content-Type"])
        assert "matches the given query" not in response.content.decode()


@pytest.mark.parametrize("method", ["TRACE", "CONNECT"])
def test_an_unsupported_method_is_a_405_even_with_query_parameters(api, listing, method):
    client = api("admin")
    case = listing["case"]
    for url in [
        "/api/v1/cases/?page=1&as_of=2026-11-27",
        f"/api/v1/cases/{case.pk}/?as_of=2026-11-27",
        "/api/v1/alerts/?page=1",
        "/api/v1/limit-figures/?start=2026-10-01&end=2026-10-31",
        f"/api/v1/bulletins/{listing['bulletin'].pk}/items/?page=1",
    ]:
        response = client.generic(method, url)
        assert response.status_code == 405, (url, response.status_code, response.content)
        assert response["Content-Type"] == "application/json" and response["Allow"]


# --- schema truth ---------------------------------------------------------------------------


def test_fields_that_come_back_null_are_declared_nullable(api, listing, wsgi_app, org):
    """Every field below is null on the listing's rows (nobody acknowledged, reviewed or decided
    anything; the system wrote the event): each answer must still match the schema."""
    from rest_framework.authtoken.models import Token

    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    token, _ = Token.objects.get_or_create(user=org["admin"])
    headers = {"Authorization": f"Token {token.key}"}
    case, period = listing["case"], listing["case"].excluded_periods.first()
    extension = listing["case"].extensions.first()
    checked = {
        ("/api/v1/alerts/", "acknowledged_by"): {},
        ("/api/v1/plans/", "reviewer"): {},
        ("/api/v1/dispatches/", "acknowledged_by"): {},
        ("/api/v1/cases/{id}/events/", "actor"): {"id": case.pk},
        ("/api/v1/excluded-periods/{id}/", "reviewed_on"): {"id": period.pk},
        ("/api/v1/extensions/{id}/", "decided_on"): {"id": extension.pk},
    }
    failures = []
    for (path, field), path_parameters in checked.items():
        operation = schema[path]["GET"]
        request = operation.Case(path_parameters=path_parameters)
        response = request.call(headers=headers)
        body = response.json()
        rows = body.get("results", [body])
        assert any(row[field] is None for row in rows), (path, field)
        try:
            request.validate_response(response, checks=[response_schema_conformance])
        except Exception as exc:  # noqa: BLE001 - collect all, then report
            failures.append(f"{path} {field}: {exc}")
    assert failures == [], "\n\n".join(failures)
