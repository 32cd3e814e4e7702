"""Backup of a running instance (pg_dump -Fc while gunicorn serves) restored into a new
database: the case, alert, plan and bulletin counts match the source."""

import subprocess
import threading

import requests

from . import services
from .conftest import local_today

FILE_PLANS = """
import datetime as dt
from alerts.services import file_plan
from cases.models import Case, User
head = User.objects.get(username="head-civil-1")
today = dt.date.fromisoformat("{today}")
cases = Case.objects.filter(division=head.division, status="open", filed_on__lt=today - dt.timedelta(days=200))
for case in cases[:20]:
    file_plan(head, case, reason="appraisal", expected_close_on=today + dt.timedelta(days=60),
              steps="鉴定意见书已催收，预计下月开庭", submit=True, today=today)
"""

TABLES = [
    "cases_case",
    "cases_caseevent",
    "cases_user",
    "alerts_alert",
    "alerts_clearanceplan",
    "alerts_notification",
    "jobs_jobrun",
    "reports_bulletin",
    "reports_bulletinitem",
    "reports_bulletinfigure",
]


def counts(database: str) -> dict[str, int]:
    return {table: int(services.psql(f"SELECT count(*) FROM {table}", database)) for table in TABLES}


def test_backup_of_a_running_instance_restores_with_the_same_counts(instance, web_server, tmp_path):
    today = local_today()
    instance.manage("track_daily", "--as-of", today.isoformat())
    instance.manage("shell", "-c", FILE_PLANS.format(today=today.isoformat()))
    instance.manage("build_bulletin")
    source = counts(instance.name)
    assert source["alerts_alert"] > 0 and source["alerts_clearanceplan"] > 0 and source["reports_bulletin"] > 0

    server = web_server(instance.env)
    stop = threading.Event()
    errors: list[str] = []

    def browse():  # people keep working while the backup runs
        session = server.session("clerk-civil-1-1")
        while not stop.is_set():
            for path in ("/", "/cases/", "/cases/?q=纠纷"):
                response = session.get(server.base + path, timeout=30)
                if response.status_code != 200:
                    errors.append(f"{path}: {response.status_code}")

    reader = threading.Thread(target=browse)
    reader.start()
    dump = tmp_path / "courtflow.dump"
    target = f"cf_restored_{instance.name[-8:]}"
    try:
        subprocess.run(
            ["bash", "scripts/backup.sh", instance.database_url, str(dump)],
            cwd=services.ROOT,
            check=True,
            capture_output=True,
            timeout=300,
        )
    finally:
        stop.set()
        reader.join(60)
    assert not errors
    assert dump.stat().st_size > 0

    try:
        result = subprocess.run(
            [
                "bash",
                "scripts/restore.sh",
                str(dump),
                f"postgres://postgres@127.0.0.1:{services.PG_PORT}/{target}",
            ],
            cwd=services.ROOT,
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert counts(target) == source
        assert f"cases {source['cases_case']}, alerts {source['alerts_alert']}" in result.stdout
        # The restored copy serves the app.
        env = services.app_env(
            f"postgres://postgres@127.0.0.1:{services.PG_PORT}/{target}", instance.env["CELERY_BROKER_URL"]
        )
        restored = web_server(env)
        browser = restored.session("clerk-civil-1-1")
        assert browser.get(restored.base + "/cases/", timeout=30).status_code == 200
        assert requests.get(restored.base + "/healthz", timeout=30).json()["database"]["ok"] is True
        restored.stop()
    finally:
        services.drop_database(target)
