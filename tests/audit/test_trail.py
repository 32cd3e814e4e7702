"""The audit trail: every change by a person or an integration, with who, when, from where, before/after."""

import datetime as dt

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from audit.models import Source
from audit.selectors import case_trail
from cases import services
from cases.models import Case
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(clerk, division, handler):
    return services.register_case(
        clerk,
        court=division.court,
        case_number="（2025）黔0281民初7号",
        filed_on=dt.date(2025, 3, 1),
        division=division,
        handler=handler,
        cause="民间借贷纠纷",
        parties="张三诉李四",
    )


def test_a_change_through_the_api_token_is_recorded_with_its_source(case, division):
    integration = UserFactory(username="integration", court=division.court, division=None, roles=["integration"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=integration).key}")
    response = api.patch(f"/api/v1/cases/{case.pk}/", {"cause": "买卖合同纠纷"}, format="json")
    assert response.status_code == 200, response.content
    latest = case.history.latest()
    assert latest.history_user == integration
    assert latest.history_source == Source.API_TOKEN
    assert latest.history_ip == "127.0.0.1"
    delta = latest.diff_against(latest.prev_record)
    assert [(c.field, c.old, c.new) for c in delta.changes if c.field == "cause"] == [
        ("cause", "民间借贷纠纷", "买卖合同纠纷")
    ]


def test_a_change_in_the_browser_is_recorded_as_a_browser_session(case, client):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    # The admin's case form saves through the case service; the trail sees the person and the session.
    page = client.get(f"/admin/cases/case/{case.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({"parties": "王五诉赵六", "business_environment": ""})
    for prefix in ("links", "events"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = client.post(f"/admin/cases/case/{case.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    latest = case.history.latest()
    assert latest.history_user == admin and latest.history_source == Source.BROWSER
    assert latest.parties == "王五诉赵六"


def test_a_service_call_outside_a_request_is_recorded_as_system(case, clerk):
    services.suspend_case(clerk, case)
    latest = Case.objects.get(pk=case.pk).history.latest()
    assert latest.history_source == Source.SYSTEM and latest.status == "suspended"


def test_case_trail_lists_changes_field_by_field(case, clerk, django_assert_max_num_queries):
    services.change_case(clerk, case, {"cause": "买卖合同纠纷"})
    services.suspend_case(clerk, case)
    with django_assert_max_num_queries(2):
        trail = case_trail(case)
    assert len(trail) == 3
    assert all(e.who is None and e.source for e in trail)  # service calls outside a request
    assert [(c.field, c.old, c.new) for c in trail[0].changes] == [("status", "open", "suspended")]
    assert [(c.field, c.old, c.new) for c in trail[1].changes] == [("cause", "民间借贷纠纷", "买卖合同纠纷")]
    assert trail[2].changes == []


def test_the_trail_cannot_be_edited_in_the_admin(case, client):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    record = case.history.latest()
    url = f"/admin/audit/historicalcase/{record.history_id}/change/"
    assert client.post(url, {"cause": "篡改"}).status_code == 403
    assert client.post(f"/admin/audit/historicalcase/{record.history_id}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/audit/historicalcase/").status_code == 200
    record.refresh_from_db()
    assert record.cause == "民间借贷纠纷"


def test_the_case_page_shows_the_trail_escaped(case, clerk, client):
    services.change_case(clerk, case, {"parties": "<script>alert(1)</script>诉李四"})
    client.force_login(clerk)
    response = client.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Audit trail" in html or "审计" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;诉李四" in html
    assert "<script>alert(1)</script>" not in html
