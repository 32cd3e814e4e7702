import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# broker_queue, broker_away: the real Redis queue, and the broker away (tests/celery_helpers.py).
pytest_plugins = ["tests.celery_helpers"]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture
def court(db):
    from tests.factories import CourtFactory

    return CourtFactory()


@pytest.fixture
def division(court):
    from tests.factories import DivisionFactory

    return DivisionFactory(court=court, code="civil-1", name="民一庭")


@pytest.fixture
def clerk(division):
    from tests.factories import UserFactory

    return UserFactory(username="clerk1", court=division.court, division=division, roles=["clerk"])


@pytest.fixture
def handler(division):
    from tests.factories import UserFactory

    return UserFactory(username="judge1", court=division.court, division=division, roles=["handler"])
