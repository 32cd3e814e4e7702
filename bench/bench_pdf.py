"""Benchmark of the monthly bulletin's PDF (`reports.exports.bulletin_pdf`) at a county court's size
and at the demo court's, on a database seeded with
`python manage.py seed_demo --cases 1000000 --seed 1 --today 2026-11-27`: 2024-06 lists about 2,100
cases, 2026-10 about 24,500 (and 4,000 key warnings, which the PDF lists a second time).

Run by hand against a private database (it builds bulletins, and --plans writes plans on their items):

    createdb pdf_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pdf_bench DEBUG=1 python manage.py migrate
    DATABASE_URL=… DEBUG=1 python manage.py seed_demo --cases 1000000 --seed 1 --today 2026-11-27
    DATABASE_URL=… DEBUG=1 python bench/bench_pdf.py [--skip-build] [--periods 2024-06,2026-10]
        [--processes 1,2] [--plans 0.4]

Each rendering runs in a fresh interpreter, so its peak RSS is its own, and so are the worker
processes it starts (their CPU time and the largest one's peak RSS, from RUSAGE_CHILDREN). The
demo's cases have no clearance plans: --plans gives that share of each bulletin's items a plan with
a reason of 8 to 36 characters (as a court's list would have, and a taller row), then rebuilds the
bulletins. Prints one line per rendering; figures go to bench/RESULTS.md by hand, with the load
average printed before and after (other people share the machine).

The script also runs against an older checkout whose bulletin_pdf takes no `processes`.
"""

from __future__ import annotations

import argparse
import inspect
import io
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courtflow.settings")

import django  # noqa: E402

django.setup()

from pypdf import PdfReader  # noqa: E402

from reports import exports, services  # noqa: E402
from reports.models import Bulletin  # noqa: E402
from reports.periods import Period  # noqa: E402

REASONS = [
    "等待鉴定机构出具鉴定意见",
    "公告送达期间未满",
    "当事人申请延期举证，需另行组织质证",
    "关联案件尚未审结，需等待其结果作为本案审理依据",
    "被执行人名下暂无可供执行的财产，正在继续调查其银行账户及不动产登记情况",
]


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def measure(period: str, processes: int | None) -> dict:
    """Render one bulletin's PDF in this (fresh) process; what it cost."""
    bulletin = Bulletin.objects.get(period=period)
    listed = bulletin.items.count()
    rows = listed + bulletin.items.filter(key_warning=True).count()
    kwargs = {}
    if processes is not None and "processes" in inspect.signature(exports.bulletin_pdf).parameters:
        kwargs["processes"] = processes
    before = load()
    wall, cpu = time.perf_counter(), time.process_time()
    pdf = exports.bulletin_pdf(bulletin, **kwargs)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "period": period,
        "listed": listed,
        "rows": rows,
        "processes": kwargs.get("processes", "-"),
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "workers_cpu_s": round(children.ru_utime + children.ru_stime, 1),
        "peak_rss_mb": round(own.ru_maxrss / 1024),
        "worker_peak_rss_mb": round(children.ru_maxrss / 1024),
        "pages": len(PdfReader(io.BytesIO(pdf)).pages),
        "mb": round(len(pdf) / 1e6, 2),
        "cases_per_s": round(listed / wall),
        "load_before": before,
        "load_after": load(),
    }


def add_plans(period: str, share: float) -> int:
    """Give `share` of the bulletin's items a submitted plan with a reason (seeded, so repeatable)."""
    bulletin = Bulletin.objects.get(period=period)
    rnd = random.Random(1)
    ids = [pk for pk in bulletin.items.order_by("pk").values_list("pk", flat=True) if rnd.random() < share]
    for n, reason in enumerate(REASONS):
        bulletin.items.filter(pk__in=ids[n :: len(REASONS)]).update(
            plan_status="submitted", plan_reason="other", plan_reason_text=reason, plan_expected_on=bulletin.as_of
        )
    return len(ids)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--periods", default="2024-06,2026-10")
    parser.add_argument("--processes", default="", help="Comma-separated, e.g. 1,2 (default: the setting's).")
    parser.add_argument("--skip-build", action="store_true", help="The bulletins are built already.")
    parser.add_argument("--plans", type=float, default=0.0, help="Share of the items given a plan (0–1).")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # one rendering, in a child process
    args = parser.parse_args()
    if args.measure:
        processes = int(args.processes) if args.processes else None
        print(json.dumps(measure(args.measure, processes)), flush=True)
        return

    periods = [Period.parse(p) for p in args.periods.split(",")]  # the edge: text from the command line
    if not args.skip_build:
        for period in periods:
            start = time.perf_counter()
            result = services.build_bulletin(period)
            print(f"built {period}: {result.bulletin.items.count():,} cases, {time.perf_counter() - start:.1f} s")
    if args.plans:
        for period in periods:
            print(f"{period}: plans on {add_plans(period, args.plans):,} items")
    print(f"cores {os.cpu_count()}, python {sys.version.split()[0]}, load {load()}", flush=True)
    try:
        for period in periods:
            for processes in args.processes.split(",") if args.processes else [""]:
                command = [sys.executable, __file__, "--measure", period, "--processes", processes]
                line = subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()
                print(line.splitlines()[-1], flush=True)
    finally:
        if args.plans:  # the demo's bulletins again, without the plans
            for period in periods:
                services.build_bulletin(period)


if __name__ == "__main__":
    main()
