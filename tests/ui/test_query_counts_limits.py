"""Exact query counts of the statutory clock's list page (hidden overruns): the same with 2 and
with 6 rows (tests/ui/query_world.py). The clock's section of the case page is counted with the
case page (test_query_counts_cases.py)."""

import pytest
from django.urls import reverse

from tests.ui.query_world import get_pinned

pytestmark = pytest.mark.django_db


def test_query_counts(client, world, django_assert_num_queries):
    for user, queries in [("tracker", 7), ("admin", 7)]:
        get_pinned(client, django_assert_num_queries, getattr(world, user), reverse("limits:hidden_overruns"), queries)


def test_the_page_shows_the_rows(client, world):
    rows = len(world.cases) // 6
    client.force_login(world.tracker)
    context = client.get(reverse("limits:hidden_overruns")).context
    assert len(context["page"].rows) == 4 * rows and len(context["divisions"]) >= rows + 1
