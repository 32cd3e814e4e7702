"""The tracking officer's hidden-overrun list (隐性超审限)."""

import datetime as dt

import pytest
from django.urls import reverse

from limits.models import HiddenOverrunFlag
from tests.factories import CaseFactory, DivisionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def flags(court, division):
    other = DivisionFactory(court=court, code="civil-2", name="民二庭")
    made = []
    for n, div in enumerate([division, division, other]):
        case = CaseFactory(court=court, division=div, filed_on=dt.date(2024, 1, 10), seq=900 + n)
        made.append(
            HiddenOverrunFlag.objects.create(
                case=case,
                rule="many_suspensions",
                first_flagged_on=dt.date(2026, 11, 1),
                last_seen_on=dt.date(2026, 11, 27),
                evidence={"suspensions": 3 + n, "note": "<b>x</b>"},
            )
        )
    return made


def test_the_tracking_officer_sees_each_flag_with_its_evidence(client, court, flags, django_assert_max_num_queries):
    officer = UserFactory(court=court, division=None, roles=["tracking_officer"])
    client.force_login(officer)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("limits:hidden_overruns"))
    assert response.status_code == 200
    html = response.content.decode()
    for flag in flags:
        assert flag.case.case_number in html
    assert "suspensions: 5" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    counts = {row["case__division__name"]: (row["cases"], row["flags"]) for row in response.context["counts"]}
    assert counts == {"民一庭": (2, 2), "民二庭": (1, 1)}


def test_the_list_filters_by_division(client, court, division, flags):
    officer = UserFactory(court=court, division=None, roles=["tracking_officer"])
    client.force_login(officer)
    response = client.get(reverse("limits:hidden_overruns"), {"division": division.pk})
    assert [f.case.division_id for f in response.context["page"].rows] == [division.pk, division.pk]


def test_a_cleared_flag_is_not_listed(client, court, flags):
    HiddenOverrunFlag.objects.filter(pk=flags[0].pk).update(cleared_on=dt.date(2026, 11, 20))
    officer = UserFactory(court=court, division=None, roles=["tracking_officer"])
    client.force_login(officer)
    rows = client.get(reverse("limits:hidden_overruns")).context["page"].rows
    assert flags[0] not in rows and len(rows) == 2


def test_clerks_and_handlers_may_not_open_it(client, clerk, handler, flags):
    for person in (clerk, handler):
        client.force_login(person)
        assert client.get(reverse("limits:hidden_overruns")).status_code == 403


def test_the_page_speaks_chinese_by_default(client, court, flags):
    officer = UserFactory(court=court, division=None, roles=["tracking_officer"])
    client.force_login(officer)
    html = client.get(reverse("limits:hidden_overruns"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "隐性超审限" in html and "按部门" in html
