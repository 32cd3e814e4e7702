"""Request bodies over DATA_UPLOAD_MAX_MEMORY_SIZE are refused with 400/413, never a 500."""

import json

import pytest
from rest_framework.authtoken.models import Token

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def test_oversized_form_post_is_a_400(client, small_limit):
    response = client.post("/accounts/login/", {"username": "x", "password": "y" * (small_limit + 10)})
    assert response.status_code == 400


def test_oversized_form_post_by_a_logged_in_clerk_is_a_400(client, clerk, small_limit):
    client.force_login(clerk)
    response = client.post("/cases/register/", {"cause": "x" * (small_limit + 10)})
    assert response.status_code == 400


def test_oversized_json_to_the_api_is_a_413(division, small_limit):
    from rest_framework.test import APIClient

    user = UserFactory(username="sync", court=division.court, division=None, roles=["integration"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    body = json.dumps([{"cause": "x" * 1000}] * 100)
    response = api.post("/api/v1/cases/", body, content_type="application/json")
    assert response.status_code == 413
    assert "detail" in response.json()
