import datetime as dt

import chinese_calendar
import pytest

from tests.factories import UserFactory


def official(day: dt.date) -> bool:
    """The official calendar straight from the package (pure tests, no database)."""
    return chinese_calendar.is_workday(day)


@pytest.fixture
def president(court):
    return UserFactory(username="president", court=court, division=None, roles=["president"])


@pytest.fixture
def tracker(court):
    return UserFactory(username="tracker", court=court, division=None, roles=["tracking_officer"])


@pytest.fixture
def register(division, handler, clerk):
    """Register a case through the service: register("民初", dt.date(2024, 3, 15), procedure=...)."""
    from cases import services

    counter = {"n": 0}

    def _register(case_type="民初", filed_on=dt.date(2024, 3, 15), today=dt.date(2026, 11, 27), **data):
        counter["n"] += 1
        number = f"（{filed_on.year}）{division.court.code}{case_type}{counter['n']}号"
        return services.register_case(
            clerk, case_number=number, filed_on=filed_on, division=division, handler=handler, today=today, **data
        )

    return _register
