"""API tokens can be revoked: deleting the token (admin) or regenerating it (drf_create_token -r)."""

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def integration(division):
    return UserFactory(username="sync", court=division.court, division=None, roles=["integration"])


def client_with(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def test_a_deleted_token_is_refused(integration):
    key = Token.objects.create(user=integration).key
    assert client_with(key).get("/api/v1/divisions/").status_code == 200
    Token.objects.filter(user=integration).delete()
    assert client_with(key).get("/api/v1/divisions/").status_code == 401


def test_a_regenerated_token_replaces_the_old_one(integration, capsys):
    old = Token.objects.create(user=integration).key
    call_command("drf_create_token", "-r", "sync")
    new = Token.objects.get(user=integration).key
    assert new != old
    assert client_with(old).get("/api/v1/divisions/").status_code == 401
    assert client_with(new).get("/api/v1/divisions/").status_code == 200


def test_a_deactivated_account_is_refused_with_its_token(integration):
    key = Token.objects.create(user=integration).key
    integration.is_active = False
    integration.save()
    assert client_with(key).get("/api/v1/divisions/").status_code == 401


def test_tokens_are_managed_in_the_admin():
    from django.contrib import admin

    assert any(model._meta.label == "authtoken.TokenProxy" for model in admin.site._registry)
