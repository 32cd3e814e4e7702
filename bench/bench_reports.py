"""Benchmark of the reports app at scale: the monthly bulletin, the daily figure snapshot, the
dashboard selectors and the bulletin exports, on a database seeded with
`python manage.py seed_demo --cases 1000000 --seed 1 --today 2026-11-27`.

Run by hand against a private copy of the seeded database (it writes bulletins and snapshots):

    createdb -T courtflow_bench reports_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/reports_bench DEBUG=1 python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/reports_bench DEBUG=1 python bench/bench_reports.py [--pdf]

Prints one line per measurement; figures go to bench/RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courtflow.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from cases import ageing  # noqa: E402
from cases.models import Case, Division, User  # noqa: E402
from reports import exports, selectors, services  # noqa: E402
from reports.models import Bulletin, FigureSnapshot  # noqa: E402
from reports.periods import Period, month_ends  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    elapsed = time.perf_counter() - start
    print(f"{label}: {elapsed:.2f} s (peak RSS {peak_mb():.0f} MB)", flush=True)
    return result, elapsed


def percentiles(label: str, fn, runs: int) -> None:
    fn()  # warm the connection and the roles cache, as a running server would be
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(f"{label}: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms over {runs} runs", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--today", default="2026-11-27", help="The seed's today (default 2026-11-27).")
    parser.add_argument(
        "--pdf",
        action="store_true",
        help="Also render the PDF of 2024-06 (about 2,000 cases, a real court's size).",
    )
    parser.add_argument("--pdf-full", action="store_true", help="And of 2026-10 (24,000 cases: minutes).")
    parser.add_argument("--skip", action="store_true", help="Only the PDFs (bulletins already built).")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    today = dt.date.fromisoformat(args.today)
    if args.skip:
        pdfs(Bulletin.objects.get(period="2026-10") if args.pdf_full else None)
        return

    total = Case.objects.count()
    open_now = Case.objects.filter(ageing.open_on_q(today)).count()
    print(f"cases: {total:,}, open on {today}: {open_now:,}")

    # Start clean (a private copy of the seeded database), so the first builds are first builds.
    Bulletin.objects.filter(period__in=["2026-09", "2026-10"]).delete()
    FigureSnapshot.objects.all().delete()

    # The bulletin: September first so that October has a previous one to compare against.
    (run, result), _t = timed("bulletin 2026-09 (first build, job)", services.run_bulletin_job, "2026-09")
    print(f"  {result.describe()}")
    (run, result), _t = timed("bulletin 2026-10 (first build, job)", services.run_bulletin_job, "2026-10")
    print(f"  {result.describe()}")
    (run, result), _t = timed("bulletin 2026-10 (draft rebuild, job)", services.run_bulletin_job, "2026-10")
    bulletin = result.bulletin

    timed(f"snapshot_figures {today} (job)", services.run_snapshot_job, today)
    ends = month_ends(today.replace(year=today.year - 1), today)
    timed(f"snapshot backfill, {len(ends)} month ends", services.backfill_snapshots, ends)

    president = User.objects.get(username="president")
    head = User.objects.get(username="head-civil-1")
    civil = Division.objects.get(code="civil-1")
    percentiles("court_overview (president)", lambda: selectors.court_overview(president, today), args.runs)
    percentiles("court_overview (division head)", lambda: selectors.court_overview(head, today), args.runs)
    percentiles("division_overview (civil-1)", lambda: selectors.division_overview(president, civil, today), args.runs)
    percentiles("bulletin_document", lambda: selectors.bulletin_document(bulletin), args.runs)

    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "b.csv"

        def write_csv():
            with open(csv_path, "w", encoding="utf-8") as out:
                for line in exports.bulletin_csv(bulletin):
                    out.write(line)

        timed(f"bulletin CSV ({bulletin.items.count():,} items)", write_csv)
        print(f"  {csv_path.stat().st_size / 1e6:.1f} MB")
        xlsx_path = Path(tmp) / "b.xlsx"

        def write_xlsx():
            with open(xlsx_path, "wb") as out:
                exports.write_bulletin_xlsx(bulletin, out)

        timed("bulletin XLSX", write_xlsx)
        print(f"  {xlsx_path.stat().st_size / 1e6:.1f} MB")
    if args.pdf or args.pdf_full:
        pdfs(bulletin if args.pdf_full else None)


def pdfs(big: Bulletin | None) -> None:
    """Last: peak RSS is the process's (the worker processes' is not counted: bench/bench_pdf.py
    measures the PDF in detail)."""
    small = services.build_bulletin(Period(2024, 6)).bulletin
    for bulletin in (small, big) if big else (small,):
        parts = settings.BULLETIN_PDF_CHUNK_ROWS
        label = f"bulletin PDF {bulletin.period}, {bulletin.items.count():,} cases (parts of {parts})"
        pdf, _t = timed(label, exports.bulletin_pdf, bulletin)
        print(f"  {len(pdf) / 1e6:.1f} MB", flush=True)


if __name__ == "__main__":
    main()
