"""The admin pages of the time-limit models open, and edits go through the services."""

import datetime as dt

import pytest

from cases.models import Case
from limits.models import ExcludedPeriod, WorkingDay, WorkingDayOverride
from tests.factories import UserFactory

D = dt.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, court):
    user = UserFactory(username="root", court=court, division=None, is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "model",
    ["limitrule", "excludedperiod", "extension", "workingday", "workingdayoverride", "hiddenoverrunflag"],
)
def test_changelists_open(admin_client, model):
    assert admin_client.get(f"/admin/limits/{model}/").status_code == 200
    assert admin_client.get(f"/admin/limits/{model}/add/").status_code in (200, 403)


def test_time_limit_alerts_are_in_the_alerts_admin(admin_client, register):
    from alerts.limits import track_limits

    case = register("民初", D(2024, 3, 15))
    track_limits(D(2024, 9, 20))  # over the limit (deadline 18 Sep 2024)
    response = admin_client.get("/admin/alerts/alert/?kind__exact=time_limit")
    assert response.status_code == 200
    assert case.case_number in response.content.decode()
    assert admin_client.get("/admin/cases/limitalert/").status_code == 404


def test_rule_change_page_opens(admin_client):
    from limits.models import LimitRule

    rule = LimitRule.objects.get(name="民事一审普通程序")
    assert admin_client.get(f"/admin/limits/limitrule/{rule.pk}/change/").status_code == 200


def test_period_added_in_the_admin_moves_the_deadline(admin_client, register):
    case = register("民初", D(2024, 3, 15))
    response = admin_client.post(
        "/admin/limits/excludedperiod/add/",
        {
            "case": case.pk,
            "reason_code": "appraisal",
            "start": "2024-04-01",
            "end": "2024-04-10",
            "reason": "鉴定",
            "document_ref": "委托书",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ExcludedPeriod.objects.get(case=case).recorded_by.username == "root"
    assert Case.objects.get(pk=case.pk).deadline == D(2024, 9, 25)


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [("2024-03-01", "2024-04-10", "start"), ("2024-04-01", "9999-12-31", "end"), ("2024-04-10", "2024-04-01", "end")],
)
def test_a_period_the_service_refuses_is_a_form_error_in_the_admin(admin_client, register, start, end, field):
    case = register("民初", D(2024, 3, 15))
    deadline = Case.objects.get(pk=case.pk).deadline
    response = admin_client.post(
        "/admin/limits/excludedperiod/add/",
        {"case": case.pk, "reason_code": "appraisal", "start": start, "end": end, "reason": "鉴定"},
    )
    assert response.status_code == 200  # the form again, not a server error
    assert field in response.context["adminform"].form.errors
    assert not ExcludedPeriod.objects.exists()
    assert Case.objects.get(pk=case.pk).deadline == deadline


def test_a_period_changed_in_the_admin_is_checked_by_the_service(admin_client, register):
    case = register("民初", D(2024, 3, 15))
    admin_client.post(
        "/admin/limits/excludedperiod/add/",
        {"case": case.pk, "reason_code": "appraisal", "start": "2024-04-01", "end": "2024-04-10", "reason": "鉴定"},
    )
    period = ExcludedPeriod.objects.get()
    url = f"/admin/limits/excludedperiod/{period.pk}/change/"
    data = {"case": case.pk, "reason_code": "appraisal", "start": "2024-04-01", "reason": "鉴定", "document_ref": ""}
    assert admin_client.post(url, {**data, "end": "9999-12-31"}).status_code == 200
    assert ExcludedPeriod.objects.get().end == D(2024, 4, 10)
    assert admin_client.post(url, {**data, "end": "2024-04-20"}).status_code == 302
    assert ExcludedPeriod.objects.get().end == D(2024, 4, 20)
    assert Case.objects.get(pk=case.pk).deadline == D(2024, 10, 8)


def test_calendar_override_in_the_admin(admin_client, register):
    case = register("民初", D(2024, 3, 20))
    response = admin_client.post(
        "/admin/limits/workingdayoverride/add/", {"day": "2024-09-20", "is_working": "", "note": "x"}
    )
    assert response.status_code == 302
    assert WorkingDayOverride.objects.get().day == D(2024, 9, 20)
    assert WorkingDay.objects.get(day=D(2024, 9, 20)).is_working is False
    assert Case.objects.get(pk=case.pk).deadline == D(2024, 9, 23)
