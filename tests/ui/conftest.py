import pytest

from tests.factories import CaseFactory, DivisionFactory, UserFactory


@pytest.fixture
def head(division):
    user = UserFactory(username="head1", court=division.court, division=division, roles=["division_head", "handler"])
    division.head = user
    division.save()
    return user


@pytest.fixture
def other_division(court):
    return DivisionFactory(court=court, code="criminal", name="刑事审判庭")


@pytest.fixture
def president(court, other_division):
    return UserFactory(username="president", court=court, division=other_division, roles=["president"])


@pytest.fixture
def tracker(court, other_division):
    return UserFactory(username="tracker1", court=court, division=other_division, roles=["tracking_officer"])


@pytest.fixture
def make_case(division, handler):
    def make(**kwargs):
        kwargs.setdefault("court", division.court)
        kwargs.setdefault("division", division)
        kwargs.setdefault("handler", handler)
        return CaseFactory(**kwargs)

    return make
