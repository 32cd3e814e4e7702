"""Speed of the REST API at scale: case list, text search, retrieve, export and bulk upsert.

Runs the real Django stack in-process (middleware, token authentication, DRF, the database)
through the test client, so the time is the server's time without a network. Needs a private
copy of the 1,000,000-case demo database (`seed_demo --cases 1000000 --seed 1 --today 2026-11-27`):

    createdb -h 127.0.0.1 -U postgres -T courtflow_bench api_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/api_bench DEBUG=1 python manage.py migrate
    psql -h 127.0.0.1 -U postgres api_bench -c "VACUUM ANALYZE"   # as autovacuum would have by now
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/api_bench DEBUG=1 python bench/bench_api.py
    dropdb -h 127.0.0.1 -U postgres api_bench

The bulk part registers new cases (year 2026, sequence numbers from 900,001) in the copy.
Targets (issue 4): list p95 ≤ 50 ms, text search p95 ≤ 200 ms, retrieve p95 ≤ 20 ms,
bulk upsert ≥ 3,000 cases/s.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courtflow.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import get_resolver  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from cases.models import Case, Division, User  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Bench:
    def __init__(self, client: Client, headers: dict[str, str], runs: int):
        self.client = client
        self.headers = headers
        self.runs = runs
        self.rows: list[tuple[str, float, float, float, int]] = []

    def measure(self, label: str, make_url) -> None:
        times = []
        queries = 0
        executed = 0

        def count(execute, sql, params, many, context):
            nonlocal executed
            executed += 1
            return execute(sql, params, many, context)

        for i in range(self.runs + 3):
            url = make_url(i)
            executed = 0
            with connection.execute_wrapper(count):  # counts statements without the debug cursor's log
                start = time.perf_counter()
                response = self.client.get(url, **self.headers)
                if hasattr(response, "streaming_content"):
                    b"".join(response.streaming_content)
                elapsed = (time.perf_counter() - start) * 1000
            assert response.status_code == 200, (url, response.status_code, response.content[:300])
            if i >= 3:  # the first requests warm caches and connections
                times.append(elapsed)
                queries = max(queries, executed)
        row = (label, statistics.median(times), percentile(times, 95), max(times), queries)
        self.rows.append(row)
        print(f"{label:<58} p50 {row[1]:7.1f} ms  p95 {row[2]:7.1f} ms  max {row[3]:7.1f} ms  {queries} queries")


def bulk_rows(start: int, count: int, divisions: list[str], handlers: dict[str, list[str]]) -> list[dict]:
    rng = random.Random(start)
    rows = []
    for seq in range(start, start + count):
        division = rng.choice(divisions)
        rows.append(
            {
                "case_number": f"(2026)黔0281民初{seq}号",
                "external_id": f"BENCH-{seq}",
                "division": division,
                "handler": rng.choice(handlers[division]),
                "cause": "民间借贷纠纷",
                "parties": f"张{seq}诉李{seq}",
                "filed_on": "2026-11-20",
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="Requests per scenario (default 200).")
    parser.add_argument("--batches", type=int, default=5, help="Bulk batches of 1,000 new cases (default 5).")
    args = parser.parse_args()
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["*"]
    rng = random.Random(1)

    user = User.objects.get(username="integration")
    token, _ = Token.objects.get_or_create(user=user)
    headers = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    client = Client()
    bench = Bench(client, headers, args.runs)

    divisions = list(Division.objects.filter(cases__isnull=False).distinct().values_list("code", flat=True))
    handlers: dict[str, list[str]] = {}
    for code, username in User.objects.filter(division__code__in=divisions, groups__name="handler").values_list(
        "division__code", "username"
    ):
        handlers.setdefault(code, []).append(username)
    all_handlers = [h for names in handlers.values() for h in names]
    max_id = Case.objects.order_by("-id").values_list("id", flat=True).first()
    numbers = list(
        Case.objects.filter(id__in=[rng.randint(1, max_id) for _ in range(300)]).values_list("case_number", "id")
    )
    print(f"{Case.objects.count():,} cases, {len(divisions)} divisions, {len(all_handlers)} handlers", flush=True)
    print("load average at start: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()), flush=True)

    pick = random.Random(2)
    # As the server does once the application is loaded (courtflow/wsgi.py).
    get_resolver().url_patterns  # noqa: B018
    gc.freeze()
    base = "/api/v1/cases/?page_size=50"
    bench.measure("list, division (page 50)", lambda i: f"{base}&division={pick.choice(divisions)}")
    bench.measure("list, handler (page 50)", lambda i: f"{base}&handler={pick.choice(all_handlers)}")
    bench.measure(
        "list, division + status=open (page 50)", lambda i: f"{base}&division={pick.choice(divisions)}&status=open"
    )
    bench.measure(
        "list, division + aging_level=over_6m (page 50)",
        lambda i: f"{base}&division={pick.choice(divisions)}&aging_level=over_6m",
    )
    bench.measure("list, aging_level=over_15m (page 50)", lambda i: f"{base}&aging_level=over_15m")
    bench.measure(
        "list, filed in one month (page 50)",
        lambda i: (
            f"{base}&filed_after=2025-{pick.randint(1, 12):02d}-01&filed_before=2025-{pick.randint(1, 12):02d}-28"
        ),
    )
    bench.measure("list, no filter, page 50", lambda i: base)
    bench.measure("list, no filter, page 500", lambda i: "/api/v1/cases/?page_size=500")
    bench.measure("list, ordering=case_number (page 50)", lambda i: f"{base}&ordering=case_number")
    bench.measure("list, case_number= (half-width form)", lambda i: "/api/v1/cases/?case_number="
                  + pick.choice(numbers)[0].replace("（", "(").replace("）", ")"))  # fmt: skip
    bench.measure("search, cause (买卖合同) (page 50)", lambda i: f"{base}&search=买卖合同")
    bench.measure(
        "search, parties (surname + 某诉) (page 50)", lambda i: f"{base}&search={pick.choice('王李张刘陈')}某诉"
    )
    bench.measure(
        "search, case-number fragment (民初NNNN号)", lambda i: f"{base}&search=民初{pick.randint(1000, 9999)}号"
    )
    bench.measure("search, company name (盘江建设)", lambda i: f"{base}&search=盘江建设&division=civil-1")
    bench.measure("retrieve", lambda i: f"/api/v1/cases/{pick.choice(numbers)[1]}/")
    bench.measure("retrieve ?as_of=2025-12-31", lambda i: f"/api/v1/cases/{pick.choice(numbers)[1]}/?as_of=2025-12-31")
    bench.measure("events of a case", lambda i: f"/api/v1/cases/{pick.choice(numbers)[1]}/events/")
    bench.measure("export, first page of 500 (updated_at, id)", lambda i: "/api/v1/cases/export/?page_size=500")

    # Bulk upsert: new cases (set-based INSERT), the same batch again (unchanged), then updates.
    start_seq = 900_001 + Case.objects.filter(external_id__startswith="BENCH-").count()
    created_rates, unchanged_rates, update_rates = [], [], []
    # One untimed batch first, as the reads' first requests are (plans, lookups, code paths).
    warm = json.dumps(bulk_rows(start_seq + args.batches * 1000, 100, divisions, handlers), ensure_ascii=False)
    assert client.post("/api/v1/cases/bulk/", warm, content_type="application/json", **headers).status_code == 200
    for n in range(args.batches):
        rows = bulk_rows(start_seq + n * 1000, 1000, divisions, handlers)
        body = json.dumps(rows, ensure_ascii=False)
        for kind, rates in (("created", created_rates), ("unchanged", unchanged_rates)):
            start = time.perf_counter()
            response = client.post("/api/v1/cases/bulk/", body, content_type="application/json", **headers)
            elapsed = time.perf_counter() - start
            result = response.json()
            assert result[kind] == 1000, {k: result[k] for k in ("created", "updated", "unchanged", "errors")}
            rates.append(1000 / elapsed)
        for row in rows[:200]:
            row["cause"] = "借款合同纠纷"
        body = json.dumps(rows[:200], ensure_ascii=False)
        start = time.perf_counter()
        result = client.post("/api/v1/cases/bulk/", body, content_type="application/json", **headers).json()
        assert result["updated"] == 200, result["errors"]
        update_rates.append(200 / (time.perf_counter() - start))
    print(
        f"bulk, 1,000 new cases per request: median {statistics.median(created_rates):,.0f} cases/s "
        f"(min {min(created_rates):,.0f})\n"
        f"bulk, the same 1,000 again (unchanged): median {statistics.median(unchanged_rates):,.0f} cases/s\n"
        f"bulk, 200 changed cases (one event each): median {statistics.median(update_rates):,.0f} cases/s"
    )
    print("load average at end: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
