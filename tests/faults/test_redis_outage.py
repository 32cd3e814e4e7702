"""Redis stopped: pages and API keep working (database sessions, local cache), /healthz says
degraded, starting a job from the jobs page does not fail with a 500; when Redis returns, a
worker runs the work and a repeated message adds nothing."""

import requests

from . import services
from .conftest import api_token, csrf_token, local_today, send_task, wait_until


def test_pages_and_api_keep_working_while_redis_is_down(instance, web_server):
    token = api_token(instance)
    case_id = instance.sql(
        "SELECT id FROM cases_case WHERE division_id = (SELECT division_id FROM cases_user "
        "WHERE username = 'clerk-civil-1-1') ORDER BY id LIMIT 1"
    )
    server = web_server(instance.env)
    services.stop_redis()

    browser = server.session("clerk-civil-1-1")  # logging in writes a session: in the database
    for path in ["/", "/cases/", "/cases/?q=纠纷", f"/cases/{case_id}/"]:
        response = browser.get(server.base + path, timeout=30)
        assert response.status_code == 200, (path, response.status_code)

    api = requests.Session()
    api.headers["Authorization"] = f"Token {token}"
    for path in ["/api/v1/cases/?page_size=10", f"/api/v1/cases/{case_id}/", "/api/v1/divisions/"]:
        response = api.get(server.base + path, timeout=30)
        assert response.status_code == 200, (path, response.status_code)

    health = requests.get(server.base + "/healthz", timeout=30)
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "degraded"
    assert body["broker"]["ok"] is False and body["database"]["ok"] is True


def test_queueing_a_job_while_redis_is_down_is_not_a_server_error(instance, web_server):
    server = web_server(instance.env)
    officer = server.session("tracker1")
    services.stop_redis()
    token = csrf_token(officer, server.base + "/reports/jobs/")
    response = officer.post(
        server.base + "/reports/jobs/",
        data={"job": "track_daily", "as_of": local_today().isoformat(), "csrfmiddlewaretoken": token},
        headers={"Referer": server.base + "/reports/jobs/"},
        allow_redirects=False,
        timeout=60,
    )
    assert response.status_code == 302, response.text[:500]
    # The page itself still answers, and says the job waits for the queue.
    page = officer.get(server.base + "/reports/jobs/", timeout=30)
    assert page.status_code == 200
    waiting = instance.count("jobs_jobrun", "job = 'track_daily' AND outcome = 'waiting'")
    assert waiting == 1


def test_after_redis_returns_the_worker_runs_the_work_once(instance, celery_processes):
    services.stop_redis()
    services.start_redis()
    worker = celery_processes("worker", instance.env, "after-outage")
    worker.wait_ready()
    today = local_today().isoformat()
    # The missed run, sent twice (beat's next tick and an operator, or a redelivery).
    send_task(instance, "alerts.tasks.track_daily_task", as_of=today)
    send_task(instance, "alerts.tasks.track_daily_task", as_of=today)
    assert wait_until(
        lambda: (
            instance.count("jobs_jobrun", f"job = 'track_daily' AND as_of = '{today}' AND outcome <> 'running'") == 2
        ),
        timeout=90,
    ), worker.output[-3000:]
    alerts = instance.count("alerts_alert")
    notifications = instance.count("alerts_notification")
    assert alerts > 0
    runs = instance.sql(
        "SELECT outcome, counts->>'raised' FROM jobs_jobrun "
        f"WHERE job = 'track_daily' AND as_of = '{today}' ORDER BY id"
    ).splitlines()
    assert runs[0].startswith("success|") and int(runs[0].split("|")[1]) > 0, runs
    # The second message changed nothing: it skipped on the lock, or found everything done.
    assert runs[1] in ("skipped|", "success|0"), runs
    assert instance.count("alerts_alert") == alerts
    assert instance.count("alerts_notification") == notifications
    assert instance.count("jobs_jobrun", "outcome = 'failed'") == 0
