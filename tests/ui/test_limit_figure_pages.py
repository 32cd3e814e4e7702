"""The time-limit figures on the pages: court overview, division drill-down, the home panel
and the bulletin, in Chinese and in English, on the docket of tests/reports/limit_docket.py."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reports import services
from reports.periods import Period
from tests.factories import UserFactory
from tests.reports.limit_docket import END, build_limit_docket

pytestmark = pytest.mark.django_db

ZH = ["法定审限", "法定审限内结案率", "平均扣除天数", "延长审限率", "超审限", "隐性超审限标记"]
EN = ["Statutory time limits", "On-time closure rate", "Average excluded days", "Extension rate", "Over the time limit"]


@pytest.fixture
def docket(court):
    docket = build_limit_docket(court)
    services.snapshot_figures(END)
    return docket


@pytest.fixture
def leader(court):
    return UserFactory(username="president-limits", court=court, division=None, roles=["president"])


def _page(client, url, language):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("language, labels", [("zh-hans", ZH), ("en", EN)])
def test_overview_shows_the_month_to_date_limit_figures(client, docket, leader, language, labels):
    client.force_login(leader)
    html = _page(client, reverse("reports:overview") + f"?as_of={END}", language)
    for label in labels:
        assert label in html, label
    # Court tile: 2 of 3 on time, 1 of 3 extended, 10 days over 3 cases; "—" where nothing closed.
    assert "66.7%" in html and "(2/3)" in html and "33.3%" in html and "3.3" in html
    assert "—" in html  # 民二庭 closed nothing this month
    assert "2024" in html and "09" in html  # the period the figures cover


def test_division_drill_down_per_handler(client, docket, leader):
    client.force_login(leader)
    html = _page(client, reverse("reports:division", args=[docket.other.pk]) + f"?as_of={END}", "en")
    assert "法官乙" in html and "Hidden-overrun flags" in html
    response = client.get(reverse("reports:division", args=[docket.other.pk]) + f"?as_of={END}")
    [row] = response.context["overview"].rows
    assert (row.figures.overdue, row.figures.hidden_flags, row.figures.on_time_rate) == (1, 1, None)


def test_pages_read_a_fixed_number_of_queries(client, docket, leader, django_assert_max_num_queries):
    client.force_login(leader)
    with django_assert_max_num_queries(15):
        _page(client, reverse("reports:overview") + f"?as_of={END}", "zh-hans")
    with django_assert_max_num_queries(15):
        _page(client, reverse("reports:division", args=[docket.civil.pk]) + f"?as_of={END}", "zh-hans")


def test_home_panel_of_a_division_head(client, docket, court):
    head = UserFactory(username="head-civil", court=court, division=docket.civil, roles=["division_head", "handler"])
    docket.civil.head = head
    docket.civil.save()
    client.force_login(head)
    html = _page(client, reverse("home"), "zh-hans")
    assert "本月法定审限内结案率" in html and "66.7%" in html


@pytest.mark.parametrize("language, labels", [("zh-hans", ZH), ("en", EN)])
def test_bulletin_page_has_a_time_limit_section(client, docket, court, leader, language, labels):
    bulletin = services.build_bulletin(Period(2024, 9), court=court).bulletin
    client.force_login(leader)
    html = _page(client, reverse("reports:bulletin", args=[bulletin.pk]), language)
    section = html[html.index('id="limit-figures"') :]
    for label in labels:
        assert label in html, label
    assert "66.7%" in section and "33.3%" in section and "法官乙" in section
