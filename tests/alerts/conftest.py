"""An organisation for the escalation engine: one civil division with its head, supervising
vice-president and tracking officer, a handler, and the president."""

from dataclasses import dataclass

import pytest

from cases.models import Division, User
from tests.factories import CaseFactory, DivisionFactory, UserFactory


@dataclass
class Org:
    division: Division
    handler: User
    head: User
    vice_president: User
    president: User
    officer: User

    def case(self, filed_on, **kwargs):
        kwargs.setdefault("court", self.division.court)
        kwargs.setdefault("division", self.division)
        kwargs.setdefault("handler", self.handler)
        return CaseFactory(filed_on=filed_on, **kwargs)


def _person(username, court, division, roles):
    return UserFactory(
        username=username, email=f"{username}@court.example", court=court, division=division, roles=roles
    )


def build_org(court, code="civil-1"):
    division = DivisionFactory(court=court, code=code, name=f"{code}庭")
    org = Org(
        division=division,
        handler=_person(f"{code}-judge", court, division, ["handler"]),
        head=_person(f"{code}-head", court, division, ["division_head"]),
        vice_president=_person(f"{code}-vp", court, None, ["vice_president"]),
        president=User.objects.filter(username="president").first() or _person("president", court, None, ["president"]),
        officer=User.objects.filter(username="officer").first()
        or _person("officer", court, None, ["tracking_officer"]),
    )
    division.head = org.head
    division.vice_president = org.vice_president
    division.tracking_officer = org.officer
    division.save()
    return org


@pytest.fixture
def org(court):
    return build_org(court)


@pytest.fixture
def tx_org(transactional_db):
    """The same organisation, committed (for tests that use several connections)."""
    from tests.factories import CourtFactory

    return build_org(CourtFactory())


def at(day, hour=7):
    """Travel to `hour` o'clock of the local (Asia/Shanghai) date `day`; the clock stands still."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    import time_machine

    moment = dt.datetime.combine(day, dt.time(hour), tzinfo=ZoneInfo("Asia/Shanghai"))
    return time_machine.travel(moment, tick=False)


def track(day):
    """Run daily tracking for `day`, on that day."""
    from alerts.tracking import track_daily

    with at(day):
        return track_daily(day)


def track_days(first, last):
    """Run daily tracking for every day from `first` to `last` in order, as beat would."""
    import datetime as dt

    day = first
    while day <= last:
        track(day)
        day += dt.timedelta(days=1)
