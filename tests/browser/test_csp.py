"""The Content-Security-Policy holds on the main pages: each role's pages, the admin and the API
docs load with the policy and the browser blocks nothing (the autouse `csp_violations` fixture
fails the test otherwise), htmx still swaps the case list, and the print buttons still print."""

import pytest
from playwright.sync_api import expect

from courtflow.headers import CONTENT_SECURITY_POLICY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# window.print opens a dialog a headless browser cannot show: count the calls instead.
_COUNT_PRINTS = "window.__prints = 0; window.print = () => { window.__prints += 1; };"


def visit(page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, url
    assert "no-store" in response.headers["cache-control"], url  # the admin adds more (never_cache)
    page.wait_for_load_state("networkidle")


def test_main_pages_break_no_rule_of_the_policy(page, live_server, court, login, csp_violations):
    from alerts.models import DispatchList
    from cases.models import Case
    from reports.models import Bulletin

    base = live_server.url
    page.add_init_script(_COUNT_PRINTS)
    login(court.tracking_officer)
    case = Case.objects.filter(division=court.handler.division).order_by("filed_on").first()
    bulletin = Bulletin.objects.get()
    for path in (
        "/",
        "/cases/",
        f"/cases/{case.pk}/",
        "/cases/hidden-overruns/",
        "/alerts/tracking/",
        "/alerts/inbox/",
        "/alerts/plans/",
        "/alerts/dispatch/",
        f"/alerts/dispatch/{DispatchList.objects.first().pk}/",
        "/reports/overview/",
        f"/reports/divisions/{court.handler.division.pk}/",
        "/reports/bulletins/",
        f"/reports/bulletins/{bulletin.pk}/",
        "/reports/jobs/",
    ):
        visit(page, base + path)

    # The print button's handler lives in static/js/courtflow.js now.
    visit(page, f"{base}/reports/bulletins/{bulletin.pk}/")
    page.click("button[data-print]")
    assert page.evaluate("window.__prints") == 1

    # htmx, loaded from the app's static files, still swaps the list when a filter changes.
    visit(page, base + "/cases/")
    select = page.locator("form.filters select").first
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true") as swapped:
        select.select_option(index=1)
    assert swapped.value.status == 200
    expect(page.locator("#case-table table")).to_be_visible()

    login(court.clerk)
    for path in ("/cases/register/", "/cases/import/"):
        visit(page, base + path)

    login(court.admin)
    for path in ("/admin/", "/admin/cases/case/", "/staff/"):
        visit(page, base + path)

    # The API docs: drf-spectacular's page with its script and styles from the app's origin.
    visit(page, base + "/api/docs/")
    expect(page.locator(".swagger-ui .info")).to_be_visible(timeout=15000)
    assert csp_violations() == []
