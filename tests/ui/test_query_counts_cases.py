"""Exact query counts of the case register's pages (home of every role, case list, case page,
staff page): the same with 2 and with 6 rows of everything (tests/ui/query_world.py), so no
page runs a query per row. A count that changes is a decision: update it here, in the commit
that changes it, saying why."""

import pytest
from django.urls import reverse

from tests.ui.query_world import get_pinned

pytestmark = pytest.mark.django_db

# (user of the world, page, arguments, queries, status)
PAGES = [
    ("handler", "home", [], 18, 200),
    ("clerk", "home", [], 18, 200),
    ("head", "home", [], 26, 200),
    ("tracker", "home", [], 16, 200),
    ("admin", "home", [], 16, 200),
    ("president", "home", [], 3, 302),  # to the overview
    ("vice_president", "home", [], 3, 302),
    ("integration", "home", [], 3, 302),  # to the integration page
    ("handler", "cases:list", [], 9, 200),
    ("clerk", "cases:list", [], 9, 200),
    ("head", "cases:list", [], 9, 200),
    ("tracker", "cases:list", [], 7, 200),
    ("handler", "cases:detail", ["focus"], 20, 200),
    ("clerk", "cases:detail", ["focus"], 21, 200),
    ("head", "cases:detail", ["focus"], 23, 200),
    ("tracker", "cases:detail", ["focus"], 19, 200),
    ("head", "cases:reassign", [], 13, 200),
    ("admin", "cases:reassign", [], 11, 200),
]


def url_of(world, name, args):
    return reverse(name, args=[getattr(world, a).pk for a in args])


def test_query_counts(client, world, django_assert_num_queries):
    for user, name, args, queries, status in PAGES:
        get_pinned(client, django_assert_num_queries, getattr(world, user), url_of(world, name, args), queries, status)


def test_the_pages_show_the_rows(client, world, django_assert_num_queries):
    # What the counts above are counted over: every list holds the world's rows.
    rows = len(world.cases) // 6
    client.force_login(world.handler)
    home = client.get("/").context
    assert len(home["urgent"]) == min(10, 4 * rows + 1)
    assert len(client.get(reverse("cases:list")).context["page"].rows) >= 4 * rows
    page = client.get(reverse("cases:detail", args=[world.focus.pk])).context
    assert len(page["links"]) == 2 * rows and len(page["events"]) >= rows
    client.force_login(world.head)
    assert len(client.get(reverse("cases:reassign")).context["open_counts"]) == rows + 1
