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


@pytest.fixture(params=[2, 6], ids=lambda rows: f"{rows}-rows")
def world(request, court, division, handler, clerk, head):
    """The query-count tests' court (tests/ui/query_world.py), with 2 and with 6 rows of
    everything, on its frozen day."""
    import time_machine

    from tests.ui import query_world

    with time_machine.travel(query_world.NOW, tick=False):
        yield query_world.build(request.param, court=court, division=division, handler=handler, clerk=clerk, head=head)
