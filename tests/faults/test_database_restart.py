"""PostgreSQL restarted under a running web server: 503 with a clear body during the outage,
then normal answers again without restarting the app (CONN_HEALTH_CHECKS)."""

import time

import requests

from . import services
from .conftest import api_token

PAGES = ["/", "/cases/", "/cases/?q=民间借贷"]
API = ["/api/v1/cases/?page_size=5", "/api/v1/divisions/"]


def test_requests_fail_cleanly_while_the_database_is_down_and_recover_after(instance, web_server):
    token = api_token(instance)
    server = web_server(instance.env)
    browser = server.session("clerk-civil-1-1")
    api = requests.Session()
    api.headers["Authorization"] = f"Token {token}"

    for path in PAGES:
        assert browser.get(server.base + path, timeout=10).status_code == 200, path
    for path in API:
        assert api.get(server.base + path, timeout=10).status_code == 200, path

    services.stop_postgres(mode="fast")
    try:
        for _ in range(2):  # more than one worker and a reused connection each
            for path in PAGES:
                response = browser.get(server.base + path, timeout=15, allow_redirects=False)
                assert response.status_code == 503, (path, response.status_code, response.text[:300])
                assert "text/html" in response.headers["Content-Type"]
                assert "<html" in response.text.lower() or "<!doctype" in response.text.lower()
                assert response.headers.get("Retry-After")
            for path in API:
                response = api.get(server.base + path, timeout=15)
                assert response.status_code == 503, (path, response.status_code, response.text[:300])
                assert response.headers["Content-Type"].startswith("application/json")
                assert response.json()["detail"]
            health = requests.get(server.base + "/healthz", timeout=15)
            assert health.status_code == 503 and health.json()["status"] == "unavailable"
    finally:
        services.start_postgres()

    # The same gunicorn processes, the same sessions: everything answers again.
    time.sleep(0.5)
    for _ in range(3):
        for path in PAGES:
            assert browser.get(server.base + path, timeout=10).status_code == 200, path
        for path in API:
            assert api.get(server.base + path, timeout=10).status_code == 200, path
    assert requests.get(server.base + "/healthz", timeout=10).json()["database"]["ok"] is True
    assert server.process.poll() is None


def test_a_write_during_the_outage_is_refused_cleanly_and_succeeds_after(instance, web_server):
    token = api_token(instance)
    server = web_server(instance.env)
    api = requests.Session()
    api.headers["Authorization"] = f"Token {token}"
    case = api.get(server.base + "/api/v1/cases/?page_size=1&status=open", timeout=10).json()["results"][0]
    before = instance.count("cases_case")

    services.stop_postgres(mode="immediate")
    try:
        response = api.get(server.base + f"/api/v1/cases/{case['id']}/", timeout=15)
        assert response.status_code == 503
    finally:
        services.start_postgres()

    response = api.get(server.base + f"/api/v1/cases/{case['id']}/", timeout=10)
    assert response.status_code == 200
    assert instance.count("cases_case") == before
