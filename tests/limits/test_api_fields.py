"""The case resource's read-only deadline, days_remaining and limit_status, honouring as_of."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from cases import services

D = dt.date
pytestmark = pytest.mark.django_db


def test_case_resource_shows_the_clock_as_of(register, tracker, clerk):
    case = register("民初", D(2024, 3, 15))
    client = APIClient()
    client.force_authenticate(tracker)
    data = client.get(f"/api/v1/cases/{case.pk}/", {"as_of": "2024-09-01"}).json()
    assert (data["deadline"], data["days_remaining"], data["limit_status"]) == ("2024-09-18", 17, "warning")
    data = client.get(f"/api/v1/cases/{case.pk}/", {"as_of": "2024-09-20"}).json()
    assert (data["deadline"], data["days_remaining"], data["limit_status"]) == ("2024-09-18", -2, "overdue")
    services.suspend_case(clerk, case, on=D(2024, 4, 1))
    listed = client.get("/api/v1/cases/", {"as_of": "2024-04-09"}).json()["results"]
    [row] = [r for r in listed if r["id"] == case.pk]
    assert (row["deadline"], row["days_remaining"], row["limit_status"]) == ("2024-09-24", 168, "within")
    case.refresh_from_db()
    services.close_case(clerk, case, closed_on=D(2024, 6, 30), closure_method="judgment")
    data = client.get(f"/api/v1/cases/{case.pk}/", {"as_of": "2024-07-01"}).json()
    assert (data["deadline"], data["days_remaining"], data["limit_status"]) == (None, None, None)


def test_clock_fields_add_no_query_per_case(register, tracker, clerk):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = APIClient()
    client.force_authenticate(tracker)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/cases/", {"as_of": "2024-04-09"}).status_code == 200
        return len(ctx.captured_queries)

    for _n in range(3):
        services.suspend_case(clerk, register("民初", D(2024, 3, 15)), on=D(2024, 4, 1))
    count()  # warm-up: per-process caches (content types, roles)
    few = count()
    for _n in range(6):
        services.suspend_case(clerk, register("民初", D(2024, 3, 15)), on=D(2024, 4, 1))
    assert count() == few
