"""Fixtures for the API tests: a small court with one person per role and token clients."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import CaseFactory, DivisionFactory, UserFactory

TODAY = dt.date(2026, 11, 27)


@pytest.fixture
def today():
    """Pin the clock to a morning in Asia/Shanghai (services and API read timezone.localdate())."""
    with time_machine.travel(dt.datetime(2026, 11, 27, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai")), tick=True):
        yield TODAY


@pytest.fixture
def org(court, division):
    """Two divisions and one account per role; civil-1 is headed by `head`."""
    other = DivisionFactory(court=court, code="civil-2", name="民二庭")
    people = {
        "clerk": UserFactory(username="clerk1", court=court, division=division, roles=["clerk"]),
        "handler": UserFactory(username="judge1", court=court, division=division, roles=["handler"]),
        "other_handler": UserFactory(username="judge2", court=court, division=other, roles=["handler"]),
        "head": UserFactory(username="head1", court=court, division=division, roles=["division_head", "handler"]),
        "vice_president": UserFactory(username="vp1", court=court, division=None, roles=["vice_president"]),
        "president": UserFactory(username="president", court=court, division=None, roles=["president"]),
        "tracking_officer": UserFactory(username="tracker1", court=court, division=None, roles=["tracking_officer"]),
        "integration": UserFactory(username="integration", court=court, division=None, roles=["integration"]),
        "admin": UserFactory(username="admin", court=court, division=None, roles=["admin"]),
        "nobody": UserFactory(username="nobody", court=court, division=other, roles=[]),
    }
    division.head = people["head"]
    division.save()
    return {"court": court, "division": division, "other": other, **people}


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api(org):
    """api("clerk") → an APIClient authenticated by that person's token; api(None) → anonymous."""
    return lambda role: client_for(org[role] if role else None)


@pytest.fixture
def make_case(org):
    def make(**kwargs):
        kwargs.setdefault("court", org["court"])
        kwargs.setdefault("division", org["division"])
        kwargs.setdefault("handler", org["handler"])
        return CaseFactory(**kwargs)

    return make


def rows_behind_every_list(org, case) -> None:
    """One row behind every list of the API whose optional fields are null (nobody acknowledged,
    reviewed or decided anything yet; a job wrote an event): each list has a page 1, and answers are
    checked against the schema with those nulls in them."""
    from django.utils import timezone

    from alerts.models import Alert, ClearancePlan, DispatchList
    from cases.models import CaseEvent
    from limits import services as limits_services

    Alert.objects.create(case=case, level="over_15m", line_date=case.line_15m, raised_on=dt.date(2026, 6, 11))
    ClearancePlan.objects.create(
        case=case,
        version=1,
        author=org["handler"],
        reason="appraisal",
        expected_close_on=dt.date(2027, 1, 1),
        steps="x",
        status="submitted",
        submitted_at=timezone.now(),
    )
    DispatchList.objects.create(
        division=org["division"],
        week_start=dt.date(2026, 11, 16),
        week_end=dt.date(2026, 11, 22),
        as_of=dt.date(2026, 11, 23),
        head=org["head"],
        built_at=timezone.now(),
    )
    limits_services.record_period(org["clerk"], case, reason_code="appraisal", start=dt.date(2026, 10, 1))
    limits_services.request_extension(org["clerk"], case, length=3, reason="案情复杂")
    CaseEvent.objects.create(case=case, kind="updated", actor=None, effective_on=dt.date(2026, 11, 1), note="by a job")
