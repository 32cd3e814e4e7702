"""Load test: concurrent staff and integrations against gunicorn on PostgreSQL with 1,000,000 cases.

Loopback only, bounded in time. Each virtual user is a thread with its own keep-alive connection
and no think time: browser users (every role, logged in with a database session) open their
home page, search cases, open a case page and record a change on a case (suspend, then resume,
through the case page's forms); integration users list cases through the API and change a
case's cause of action (PATCH). Every answer other than the expected one (200, or 302 after a
form) counts as an error.

    python bench/bench_load.py                      # copy, prepare, run 100 users × 60 s, drop
    python bench/bench_load.py --keep               # leave the copy (load_bench) for another run
    python bench/bench_load.py --reuse --users 100 --duration 60

The copy is made from the 1,000,000-case demo database (`seed_demo --cases 1000000 --seed 1
--today 2026-11-27` in courtflow_bench) with `createdb -T`, migrated, and given what the jobs
would have written (today's daily tracking, last month's bulletin), so the pages read real data.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = ["-h", "127.0.0.1", "-U", "postgres"]
SEARCHES = ["民间借贷", "买卖合同", "离婚", "交通事故", "执", "民初", "劳动争议", "盗窃", "物业", "2025"]

SESSIONS = r"""
import json, datetime as dt
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from rest_framework.authtoken.models import Token
from cases import permissions
from cases.models import Case, User
from cases.roles import Role
browsers, integrations = {browsers}, {integrations}
staff = list(
    User.objects.filter(is_active=True).exclude(username="admin").exclude(username__startswith="integration")
    .order_by("username")
)
out, used = {{"browsers": [], "tokens": []}}, set()
for i in range(browsers):
    user = staff[i % len(staff)]
    store = SessionStore()
    store[SESSION_KEY], store[BACKEND_SESSION_KEY] = str(user.pk), "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.set_expiry(4 * 3600)
    store.save()
    editable = None
    if user.has_role(Role.CLERK, Role.HANDLER, Role.DIVISION_HEAD):
        qs = permissions.visible_cases(user).filter(status="open").exclude(pk__in=used)
        if user.has_role(Role.HANDLER) and not user.has_role(Role.CLERK, Role.DIVISION_HEAD):
            qs = qs.filter(handler=user)
        for case in qs.order_by("-filed_on")[:20]:
            if permissions.can_edit_case(user, case):
                editable = case.pk
                used.add(case.pk)
                break
    visible = list(permissions.visible_cases(user).order_by("-filed_on").values_list("pk", flat=True)[:200])
    leader = user.has_role(Role.PRESIDENT, Role.VICE_PRESIDENT) and not user.has_role(Role.CLERK, Role.DIVISION_HEAD)
    out["browsers"].append({{
        "user": user.username, "session": store.session_key, "edit": editable, "cases": visible,
        "home": "/reports/overview/" if leader else "/",
    }})
for i in range(integrations):
    model = User.objects.get(username="integration")
    user, _ = User.objects.get_or_create(username=f"integration-load-{{i}}", defaults={{"court": model.court}})
    user.groups.add(*model.groups.all())
    out["tokens"].append(Token.objects.get_or_create(user=user)[0].key)
out["api_cases"] = list(Case.objects.filter(status="open").order_by("?").values_list("pk", flat=True)[:2000])
out["today"] = timezone.localdate().isoformat()
print("JSON" + json.dumps(out))
"""


def env_for(database: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TEST_DATABASE"))}
    env.update(
        PYTHONPATH=f"{ROOT / 'bench'}{os.pathsep}{ROOT}",
        DJANGO_SETTINGS_MODULE="load_settings",
        DEBUG="0",
        SECRET_KEY="load-test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{database}",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/6",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        ALLOWED_HOSTS="127.0.0.1",
        COURTFLOW_VAR_DIR=str(ROOT / "var" / "load"),
        LOG_LEVEL="WARNING",
        AXES_ENABLED="0",
    )
    return env


def manage(env, *args, timeout=1800) -> str:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        sys.exit(f"manage.py {args[0]} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    print(f"  manage.py {' '.join(args[:2])}: {time.perf_counter() - start:.0f} s", flush=True)
    return result.stdout


def copy_database(source: str, target: str) -> None:
    subprocess.run(["dropdb", *PG, "--if-exists", target], check=True)
    for attempt in range(30):  # createdb -T needs the source free of other sessions
        result = subprocess.run(["createdb", *PG, "-T", source, target], capture_output=True, text=True)
        if result.returncode == 0:
            return
        print(f"  createdb: {result.stderr.strip()} (retry {attempt + 1})", flush=True)
        time.sleep(10)
    sys.exit("could not copy the database")


def prepare(env, today: str) -> None:
    manage(env, "migrate", "--no-input")
    manage(env, "collectstatic", "--no-input", "--verbosity", "0")
    manage(env, "track_daily", "--as-of", today)
    manage(env, "build_bulletin")


# --- the load ------------------------------------------------------------------------------


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: list[str] = []

    def record(self, kind: str, seconds: float, ok: bool, detail: str = "") -> None:
        with self.lock:
            self.times[kind].append(seconds)
            if not ok:
                self.errors[kind] += 1
                if len(self.samples) < 20:
                    self.samples.append(f"{kind}: {detail}")


class VirtualUser(threading.Thread):
    def __init__(self, port: int, stats: Stats, deadline: float, seed: int):
        super().__init__(daemon=True)
        self.port, self.stats, self.deadline = port, stats, deadline
        self.rng = random.Random(seed)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers: dict[str, str] = {}

    def request(self, kind: str, method: str, path: str, body=None, headers=None, expect=(200,)) -> str:
        all_headers = {**self.headers, **(headers or {})}
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=all_headers)
            response = self.conn.getresponse()
            data = response.read()
            ok = response.status in expect
            detail = f"{method} {path} → {response.status}"
            if response.getheader("Connection", "").lower() == "close":
                self.conn.close()
        except Exception as exc:  # noqa: BLE001 - every failure is counted, none stops the run
            self.conn.close()
            data, ok, detail = b"", False, f"{method} {path} → {type(exc).__name__}: {exc}"
        self.stats.record(kind, time.perf_counter() - start, ok, detail)
        return data.decode("utf-8", "replace")

    def run(self):
        while time.monotonic() < self.deadline:
            self.step()


class Browser(VirtualUser):
    def __init__(self, port, stats, deadline, seed, profile: dict, today: str):
        super().__init__(port, stats, deadline, seed)
        self.profile, self.today = profile, today
        # A CSRF secret of our own in the cookie, sent back with each form: what a browser does.
        self.csrf = "".join(self.rng.choices("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", k=32))
        self.headers = {
            "Cookie": f"sessionid={profile['session']}; csrftoken={self.csrf}",
            "Referer": f"http://127.0.0.1:{port}/",
        }
        self.suspended = False

    def form(self, kind: str, path: str, fields: dict) -> None:
        body = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": self.csrf})
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": self.csrf}
        self.request(kind, "POST", path, body, headers, expect=(302,))

    def step(self):
        roll = self.rng.random()
        cases = self.profile["cases"]
        if roll < 0.40:
            # Leaders' home is the court overview: the dashboard they see is "/" and its redirect.
            self.request("dashboard", "GET", self.profile.get("home", "/"))
        elif roll < 0.70:
            q = urllib.parse.quote(self.rng.choice(SEARCHES))
            self.request("case search", "GET", f"/cases/?q={q}")
        elif roll < 0.88 or not self.profile["edit"]:
            if cases:
                self.request("case page", "GET", f"/cases/{self.rng.choice(cases)}/")
            else:
                self.request("dashboard", "GET", "/")
        else:
            pk = self.profile["edit"]
            if self.suspended:
                self.form("case update", f"/cases/{pk}/resume/", {"on": self.today, "note": "恢复审理"})
            else:
                self.form("case update", f"/cases/{pk}/suspend/", {"on": self.today, "note": "等待鉴定结论"})
            self.suspended = not self.suspended


class Integration(VirtualUser):
    def __init__(self, port, stats, deadline, seed, token: str, cases: list[int]):
        super().__init__(port, stats, deadline, seed)
        self.headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
        self.cases = cases

    def step(self):
        roll = self.rng.random()
        if roll < 0.8:
            division = self.rng.choice(
                [
                    "",
                    "&status=open",
                    "&aging_level=over_6m",
                    "&division=civil-1",
                    "&search=" + urllib.parse.quote("借贷"),
                ]
            )
            self.request("API list", "GET", f"/api/v1/cases/?page_size=50{division}")
        else:
            pk = self.rng.choice(self.cases)
            body = json.dumps({"cause": self.rng.choice(["民间借贷纠纷", "买卖合同纠纷", "物业服务合同纠纷"])})
            self.request("API update", "PATCH", f"/api/v1/cases/{pk}/", body, {"Content-Type": "application/json"})


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def run_load(env, users: int, duration: int, workers: int, threads: int, api_users: int | None = None) -> dict:
    api_users = max(1, users // 5) if api_users is None else api_users
    browsers = users - api_users
    out = manage(env, "shell", "-c", SESSIONS.format(browsers=browsers, integrations=api_users))
    setup = json.loads(out[out.index("JSON") + 4 :])
    port = 18000 + os.getpid() % 1000
    log = (ROOT / "var" / "load").resolve()
    log.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "courtflow.wsgi", "--bind", f"127.0.0.1:{port}",
            "--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads),
            "--keep-alive", "30", "--backlog", "2048", "--timeout", "120", "--no-control-socket",
        ],
        cwd=ROOT, env=env, stdout=(log / "gunicorn.log").open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        for _ in range(120):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        # Warm every worker (imports, first queries) before the clock starts.
        warm = Stats()
        for profile in setup["browsers"][: workers * 4]:
            Browser(port, warm, 0, 0, profile, setup["today"]).request("warm", "GET", "/")
        stats = Stats()
        deadline = time.monotonic() + duration
        vus: list[VirtualUser] = [
            Browser(port, stats, deadline, i, profile, setup["today"]) for i, profile in enumerate(setup["browsers"])
        ]
        vus += [
            Integration(port, stats, deadline, 1000 + i, token, setup["api_cases"])
            for i, token in enumerate(setup["tokens"])
        ]
        start = time.monotonic()
        for vu in vus:
            vu.start()
        for vu in vus:
            vu.join(duration + 180)
        elapsed = time.monotonic() - start
    finally:
        server.terminate()
        server.wait(30)
    return {"stats": stats, "elapsed": elapsed, "browsers": browsers, "api_users": api_users}


def report(result: dict, users: int, duration: int, workers: int, threads: int) -> str:
    stats, elapsed = result["stats"], result["elapsed"]
    lines = [
        f"{users} users ({result['browsers']} browser sessions, {result['api_users']} API tokens), no think time, "
        f"{duration} s; gunicorn gthread {workers}×{threads}; measured {elapsed:.1f} s",
        "",
        "| request | count | errors | p50 ms | p95 ms | p99 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    everything: list[float] = []
    for kind in ("dashboard", "case search", "case page", "case update", "API list", "API update"):
        values = sorted(stats.times.get(kind, []))
        everything += values
        lines.append(
            f"| {kind} | {len(values)} | {stats.errors.get(kind, 0)} | {percentile(values, 50) * 1000:.0f} | "
            f"{percentile(values, 95) * 1000:.0f} | {percentile(values, 99) * 1000:.0f} |"
        )
    everything.sort()
    total_errors = sum(stats.errors.values())
    lines.append(
        f"| **all** | {len(everything)} | {total_errors} | {percentile(everything, 50) * 1000:.0f} | "
        f"{percentile(everything, 95) * 1000:.0f} | {percentile(everything, 99) * 1000:.0f} |"
    )
    lines += ["", f"Throughput: {len(everything) / elapsed:.1f} requests/s; errors: {total_errors}."]
    if everything:
        lines.append(f"Mean {statistics.mean(everything) * 1000:.0f} ms.")
    if stats.samples:
        lines += ["", "Error samples:", *[f"- {s}" for s in stats.samples]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--duration", type=int, default=60, help="seconds")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--api-users", type=int, help="how many of the users are integrations (default a fifth)")
    parser.add_argument("--source", default="courtflow_bench")
    parser.add_argument("--database", default="load_bench")
    parser.add_argument("--reuse", action="store_true", help="use the existing copy as it is")
    parser.add_argument("--keep", action="store_true", help="do not drop the copy afterwards")
    args = parser.parse_args()
    env = env_for(args.database)
    try:
        if not args.reuse:
            print(f"copying {args.source} → {args.database}", flush=True)
            copy_database(args.source, args.database)
            prepare(env, time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600)))
        else:  # the code may have moved on since the copy was prepared
            manage(env, "migrate", "--no-input")
            manage(env, "collectstatic", "--no-input", "--verbosity", "0")
        print(f"running {args.users} users for {args.duration} s", flush=True)
        result = run_load(env, args.users, args.duration, args.workers, args.threads, args.api_users)
        print(report(result, args.users, args.duration, args.workers, args.threads), flush=True)
        sys.exit(1 if sum(result["stats"].errors.values()) else 0)
    finally:
        if not args.keep:
            subprocess.run(["dropdb", *PG, "--if-exists", "--force", args.database], check=False)


if __name__ == "__main__":
    main()
