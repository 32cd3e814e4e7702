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


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request of the test client leaves its language active in the test's thread (LocaleMiddleware
    does not deactivate it): an English request would make the next test's e-mails English."""
    yield
    from django.utils import translation

    translation.deactivate()


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


@pytest.fixture
def wsgi_app(db):
    """The real WSGI application, inside the test's transaction (for schemathesis): like Django's
    test client, keep request signals from closing the test database connection."""
    from django.core import signals
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
