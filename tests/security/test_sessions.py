"""Sessions live in the database (not Redis), end after SESSION_COOKIE_AGE, and end when the
account is deactivated or its password changes."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_sessions_are_stored_in_the_database(client, clerk):
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    client.force_login(clerk)
    assert Session.objects.count() == 1


def test_a_session_expires_after_the_cookie_age(client, clerk):
    client.force_login(clerk)
    assert client.get("/cases/").status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)):
        response = client.get("/cases/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_deactivating_an_account_ends_its_sessions(client, clerk):
    client.force_login(clerk)
    clerk.is_active = False
    clerk.save()
    assert client.get("/cases/").status_code == 302


def test_changing_the_password_ends_other_sessions(client, clerk):
    client.force_login(clerk)
    clerk.set_password("a new password 2026")
    clerk.save()
    assert client.get("/cases/").status_code == 302
