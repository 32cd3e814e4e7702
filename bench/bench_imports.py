"""Reading import files within limits: time and peak memory of cases.imports.read_file on a
compressed-file bomb and on ordinary files, as the import page (1,000 rows) and `import_cases`
(50,000 rows) read them. No database is needed.

    DEBUG=1 python bench/bench_imports.py [--runs 3]

Each measurement runs in a fresh interpreter, so that its peak memory is the reading's own: the
process's peak RSS (ru_maxrss) with, in brackets, how far reading raised it above the peak of the
interpreter with Django loaded, and tracemalloc's peak of the Python allocations while reading.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.xlsx_bomb import sheet_xml_size, write_xlsx_bomb  # noqa: E402

MEASURE = """
import json, resource, sys, time, tracemalloc
import django
django.setup()
from django.core.exceptions import ValidationError
from django.utils import translation
from cases import imports

translation.activate("en")
path, max_rows = sys.argv[1], int(sys.argv[2])
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
started = time.perf_counter()
cpu_started = time.process_time()
outcome = ""
try:
    with open(path, "rb") as fh:
        outcome = f"{len(imports.read_file(fh, path, max_rows=max_rows))} rows"
except ValidationError as exc:
    outcome = "refused: " + "; ".join(exc.messages)
print(json.dumps({
    "outcome": outcome,
    "seconds": time.perf_counter() - started,
    "cpu_seconds": time.process_time() - cpu_started,
    "traced_peak_mb": tracemalloc.get_traced_memory()[1] / 2**20,
    "rss_growth_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024,
    "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "rss_before_mb": rss_before / 1024,
}))
"""


def ordinary_workbook(path: Path, rows: int) -> Path:
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["案号", "外部编号", "承办部门", "承办人", "程序", "案由", "当事人", "立案日期", "状态"])
    for n in range(rows):
        sheet.append(
            [
                f"（2024）黔0281民初{n + 1}号",
                f"EXT-{n:08d}",
                "民一庭",
                "张法官",
                "普通程序",
                "买卖合同纠纷",
                "贵州某某建筑工程有限公司诉王某某、李某某建设工程施工合同纠纷",
                dt.date(2024, 3, 1),
                "未结",
            ]
        )
    book.save(path)
    return path


def without_dimension(source: Path, target: Path) -> Path:
    """The same workbook with its sheet's <dimension> removed, as some programs write it."""
    import re

    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"<dimension [^>]*/>", b"", data)
            out.writestr(info, data)
    return target


def measure(path: Path, max_rows: int, runs: int) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "courtflow.settings", "DEBUG": "1"}
    results = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", MEASURE, str(path), str(max_rows)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=900,
        )
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {
        "outcome": results[0]["outcome"],
        "seconds": statistics.median(r["seconds"] for r in results),
        "cpu_seconds": statistics.median(r["cpu_seconds"] for r in results),
        "traced_peak_mb": max(r["traced_peak_mb"] for r in results),
        "rss_growth_mb": max(r["rss_growth_mb"] for r in results),
        "rss_peak_mb": max(r["rss_peak_mb"] for r in results),
        "rss_before_mb": max(r["rss_before_mb"] for r in results),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bomb = write_xlsx_bomb(folder / "bomb.xlsx")
        one_batch = ordinary_workbook(folder / "rows-1000.xlsx", 1000)
        large = ordinary_workbook(folder / "rows-20000.xlsx", 20_000)
        files = [
            ("bomb, 3,000,000 rows, no `<dimension>`", bomb),
            ("ordinary, 1,000 rows", one_batch),
            ("ordinary, 1,000 rows, no `<dimension>`", without_dimension(one_batch, folder / "nodim-1000.xlsx")),
            ("ordinary, 20,000 rows", large),
        ]
        times = f"wall, CPU (median of {args.runs})"
        print(f"| file | size | sheet XML | read as | outcome | {times} | peak RSS | traced |")
        print("| --- | ---: | ---: | --- | --- | ---: | ---: | ---: |")
        for label, path in files:
            for reader, max_rows in (("page (1,000)", 1000), ("command (50,000)", 50_000)):
                result = measure(path, max_rows, args.runs)
                outcome = result["outcome"]
                outcome = outcome if len(outcome) < 60 else outcome[:57] + "…"
                print(
                    f"| {label} | {path.stat().st_size / 1024:,.0f} KB | {sheet_xml_size_any(path) / 2**20:,.1f} MB "
                    f"| {reader} | {outcome} | {result['seconds']:.2f} s, {result['cpu_seconds']:.2f} s "
                    f"| {result['rss_peak_mb']:.0f} MB (+{result['rss_growth_mb']:.0f}) "
                    f"| {result['traced_peak_mb']:.1f} MB |",
                    flush=True,
                )


def sheet_xml_size_any(path: Path) -> int:
    try:
        return sheet_xml_size(path)
    except KeyError:
        return 0


if __name__ == "__main__":
    main()
