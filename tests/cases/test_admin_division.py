"""The admin's division form holds an acting head to the same rules as the services and the API."""

import datetime as dt

import pytest

from cases.models import Division
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, court):
    client.force_login(UserFactory(username="root", court=court, division=None, is_staff=True, is_superuser=True))
    return client


def _post(admin_client, division, stand_in, **dates):
    data = {
        "court": division.court_id,
        "code": division.code,
        "name": division.name,
        "kind": division.kind,
        "sort_order": division.sort_order,
        "acting_head": stand_in.pk,
        **dates,
    }
    return admin_client.post(f"/admin/cases/division/{division.pk}/change/", data)


@pytest.mark.parametrize(
    "dates",
    [
        {},
        {"acting_from": "2026-12-10", "acting_until": "2026-12-01"},
        {"acting_from": "2026-12-01", "acting_until": "9999-12-31"},
    ],
    ids=["no dates", "end before start", "beyond the horizon"],
)
def test_an_acting_head_the_rules_refuse_is_a_form_error(admin_client, division, dates):
    stand_in = UserFactory(username="standin", court=division.court, division=division, roles=["handler"])
    response = _post(admin_client, division, stand_in, **dates)
    assert response.status_code == 200
    assert "acting_until" in response.context["adminform"].form.errors
    assert Division.objects.get(pk=division.pk).acting_head is None


def test_an_acting_head_with_a_period_is_saved(admin_client, division):
    stand_in = UserFactory(username="standin", court=division.court, division=division, roles=["handler"])
    response = _post(admin_client, division, stand_in, acting_from="2026-12-01", acting_until="2026-12-31")
    assert response.status_code == 302, response.content.decode()[:1500]
    saved = Division.objects.get(pk=division.pk)
    assert (saved.acting_head, saved.acting_from, saved.acting_until) == (
        stand_in,
        dt.date(2026, 12, 1),
        dt.date(2026, 12, 31),
    )
