"""Exact query counts of the reports pages (court overview, division figures, bulletins): the
same with 2 and with 6 rows of everything (tests/ui/query_world.py): divisions, handlers,
bulletin items and divisions to sign off."""

import pytest
from django.urls import reverse

from tests.ui.query_world import get_pinned

pytestmark = pytest.mark.django_db

PAGES = [
    ("tracker", "reports:overview", [], 9),
    ("president", "reports:overview", [], 9),
    ("head", "reports:division", ["division"], 13),
    ("tracker", "reports:division", ["division"], 12),
    ("tracker", "reports:bulletin_list", [], 6),
    ("head", "reports:bulletin_list", [], 8),
    ("tracker", "reports:bulletin", ["bulletin"], 10),
    ("head", "reports:bulletin", ["bulletin"], 11),
]


def test_query_counts(client, world, django_assert_num_queries):
    for user, name, args, queries in PAGES:
        url = reverse(name, args=[getattr(world, a).pk for a in args])
        get_pinned(client, django_assert_num_queries, getattr(world, user), url, queries)


def test_the_pages_show_the_rows(client, world):
    rows = len(world.cases) // 6
    client.force_login(world.tracker)
    assert len(client.get(reverse("reports:overview")).context["overview"].rows) == rows + 1
    assert len(client.get(reverse("reports:division", args=[world.division.pk])).context["overview"].rows) == rows + 1
    bulletin = client.get(reverse("reports:bulletin", args=[world.bulletin.pk])).context
    assert len(bulletin["page"].rows) == 6 * rows + 1 and len(bulletin["doc"].divisions) == rows + 1
    client.force_login(world.head)
    assert [d.pk for d in client.get(reverse("reports:bulletin", args=[world.bulletin.pk])).context["signable"]] == [
        world.division.pk
    ]
