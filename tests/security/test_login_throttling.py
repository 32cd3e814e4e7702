"""Failed-login throttling and lock-out (django-axes, attempts stored in the database)."""

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def judge(division):
    user = UserFactory(username="judge9", court=division.court, division=division, roles=["handler"])
    user.set_password(PASSWORD)
    user.save()
    return user


def attempt(client: Client, username: str, password: str, ip: str = "10.0.0.5"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_five_failures_lock_the_user_out_even_with_the_right_password(client, judge):
    for _ in range(4):
        response = attempt(client, "judge9", "wrong")
        assert response.status_code == 200  # the form again, with an error
    response = attempt(client, "judge9", "wrong")
    assert response.status_code == 429
    assert AccessAttempt.objects.get(username="judge9").failures_since_start == 5

    response = attempt(client, "judge9", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lock_out_is_per_user_and_address(client, judge):
    for _ in range(5):
        attempt(client, "judge9", "wrong", ip="10.0.0.5")
    # The same person from their own desk is not locked out by someone else's guessing.
    response = attempt(Client(), "judge9", PASSWORD, ip="10.0.0.77")
    assert response.status_code == 302


def test_lock_out_expires_after_thirty_minutes(client, judge):
    for _ in range(5):
        attempt(client, "judge9", "wrong")
    assert attempt(client, "judge9", PASSWORD).status_code == 429
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=31)):
        response = attempt(client, "judge9", PASSWORD)
    assert response.status_code == 302


def test_a_successful_login_clears_the_count(client, judge):
    for _ in range(4):
        attempt(client, "judge9", "wrong")
    assert attempt(client, "judge9", PASSWORD).status_code == 302
    for _ in range(4):
        assert attempt(Client(), "judge9", "wrong").status_code == 200


def test_admin_login_is_throttled_too(client, judge):
    for _ in range(5):
        response = client.post("/admin/login/", {"username": "judge9", "password": "wrong"}, REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 429


def test_behind_the_proxy_the_forwarded_address_counts(client, judge, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(5):
        client.post(
            reverse("login"),
            {"username": "judge9", "password": "wrong"},
            REMOTE_ADDR="172.18.0.2",
            HTTP_X_FORWARDED_FOR="10.1.1.1",
        )
    assert AccessAttempt.objects.get().ip_address == "10.1.1.1"
    # Another desk behind the same proxy still logs in.
    response = Client().post(
        reverse("login"),
        {"username": "judge9", "password": PASSWORD},
        REMOTE_ADDR="172.18.0.2",
        HTTP_X_FORWARDED_FOR="10.1.1.2",
    )
    assert response.status_code == 302


def test_test_client_login_still_works(client, judge):
    assert client.login(username="judge9", password=PASSWORD)
    assert not client.login(username="judge9", password="wrong")
