"""An integration account (API only) signed in through the login page gets one clear page: what
the account is for, the API docs, how its token is made, and a sign-out button. It used to get a
403 whose "back to the home page" link led to the same 403."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "integration-pass-1"  # noqa: S105


@pytest.fixture
def integration(court):
    user = UserFactory(username="sync", court=court, division=None, roles=["integration"])
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(client, language: str):
    client.cookies.load({"django_language": language})
    return client.post(reverse("login"), {"username": "sync", "password": PASSWORD}, follow=True)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh-hans", ["系统对接账号", "打开 API 文档", "退出"]),
        ("en", ["Integration account", "Open the API documentation", "Log out"]),
    ],
)
def test_signing_in_leads_to_the_integration_page(client, integration, language, words):
    response = sign_in(client, language)
    page = reverse("cases:integration")
    assert response.status_code == 200
    assert [url for url, _status in response.redirect_chain] == ["/", page]
    body = response.content.decode()
    for word in words:
        assert word in body
    assert f'href="{reverse("api:docs")}"' in body
    assert "python manage.py drf_create_token sync" in body
    assert f'action="{reverse("logout")}"' in body and 'id="sign-out"' in body
    assert 'class="nav"' not in body  # no menu of staff pages that would only lead back here
    assert client.get(reverse("api:docs")).status_code == 200


def test_every_page_leads_to_the_integration_page_without_a_loop(client, integration, division):
    sign_in(client, "en")
    page = reverse("cases:integration")
    for url in ("/", reverse("cases:list"), reverse("jobs:jobs"), reverse("alerts:inbox"), "/admin/"):
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        assert [u for u, _status in response.redirect_chain] == [page], url
    # A form sent to a staff page is refused; the refusal's link home leads to the page, not to itself.
    refused = client.post(reverse("cases:register"))
    assert refused.status_code == 403
    assert f'href="{reverse("home")}"' in refused.content.decode()
    assert client.get(reverse("home"))["Location"] == page


def test_signing_out_from_the_page(client, integration):
    sign_in(client, "en")
    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert client.get(reverse("cases:integration"))["Location"].startswith(reverse("login"))


def test_staff_opening_the_page_go_home(client, clerk):
    client.force_login(clerk)
    response = client.get(reverse("cases:integration"))
    assert (response.status_code, response["Location"]) == (302, reverse("home"))
