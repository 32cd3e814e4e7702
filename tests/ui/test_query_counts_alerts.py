"""Exact query counts of the escalation engine's pages (inbox, clearance plans, daily tracking,
weekly dispatch): the same with 2 and with 6 rows of everything (tests/ui/query_world.py)."""

import pytest
from django.urls import reverse

from tests.ui.query_world import get_pinned

pytestmark = pytest.mark.django_db

PAGES = [
    ("handler", "alerts:inbox", [], 7),
    ("head", "alerts:inbox", [], 7),
    ("tracker", "alerts:inbox", [], 6),
    ("handler", "alerts:plans", [], 12),
    ("head", "alerts:plans", [], 13),
    ("admin", "alerts:plans", [], 11),
    ("tracker", "alerts:tracking", [], 7),
    ("head", "alerts:tracking", [], 9),
    ("head", "alerts:dispatch_list", [], 6),
    ("tracker", "alerts:dispatch_list", [], 5),
    ("head", "alerts:dispatch_detail", ["dispatch_list"], 8),
    ("tracker", "alerts:dispatch_detail", ["dispatch_list"], 7),
]


def test_query_counts(client, world, django_assert_num_queries):
    for user, name, args, queries in PAGES:
        url = reverse(name, args=[getattr(world, a).pk for a in args])
        get_pinned(client, django_assert_num_queries, getattr(world, user), url, queries)


def test_the_pages_show_the_rows(client, world):
    rows = len(world.cases) // 6
    client.force_login(world.handler)
    assert len(client.get(reverse("alerts:inbox")).context["page"].rows) >= 4 * rows
    plans = client.get(reverse("alerts:plans")).context
    # Missing a plan: the drafted and the returned cases (a returned plan does not stand), and
    # the case page's case; returned: those and the case page's case.
    assert (len(plans["missing"]), len(plans["returned"]), len(plans["drafts"]), len(plans["overdue"])) == (
        2 * rows + 1,
        rows + 1,
        rows,
        rows,
    )
    client.force_login(world.head)
    assert len(client.get(reverse("alerts:plans")).context["waiting"]) == rows
    dispatch = client.get(reverse("alerts:dispatch_detail", args=[world.dispatch_list.pk])).context
    assert len(dispatch["items"]) == 4 * rows
    assert len(client.get(reverse("alerts:dispatch_list")).context["page"].rows) == rows + 1
    client.force_login(world.tracker)
    assert len(client.get(reverse("alerts:tracking")).context["page"].rows) == 4 * rows + 1
