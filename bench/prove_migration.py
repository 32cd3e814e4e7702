"""Proof, on a populated copy of a database, that a migration that moves models between apps
loses nothing: the row count of every table, and the statutory clock of a sample of cases
computed by the application's own rule, before and after.

    # on the code before the move, on a copy of a populated database:
    DATABASE_URL=postgres://…/copy DEBUG=1 python bench/prove_migration.py snapshot before.json
    # on the code after the move, same database:
    DATABASE_URL=postgres://…/copy DEBUG=1 python manage.py migrate
    DATABASE_URL=postgres://…/copy DEBUG=1 python bench/prove_migration.py snapshot after.json
    python bench/prove_migration.py compare before.json after.json

Tables are matched by name with the app prefix dropped where a table was renamed
(cases_excludedperiod -> limits_excludedperiod), so the comparison reads "same rows".
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

SAMPLE = 2000
AS_OF = [dt.date(2025, 6, 30), dt.date(2026, 11, 27), dt.date(2027, 3, 1)]
MOVED = {"cases_": "limits_", "alerts_": "jobs_"}


def snapshot(out: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courtflow.settings")
    import django

    django.setup()
    from django.db import connection

    try:
        from limits.rule import case_clock
    except ImportError:  # the code before the move
        from cases.limits import case_clock
    from cases.models import Case

    with connection.cursor() as cursor:
        tables = sorted(t for t in connection.introspection.table_names(cursor) if not t.startswith("django_"))
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    ids = list(Case.objects.order_by("pk").values_list("pk", flat=True)[:: max(1, Case.objects.count() // SAMPLE)])
    clocks = {}
    for case in Case.objects.filter(pk__in=ids).select_related("court").order_by("pk"):
        for day in AS_OF:
            clock = case_clock(case, day)
            clocks[f"{case.pk}@{day}"] = [str(clock.deadline), clock.days_remaining, str(clock.status)]
    Path(out).write_text(json.dumps({"counts": counts, "clocks": clocks}, ensure_ascii=False, indent=1))
    print(f"{len(counts)} tables, {sum(counts.values())} rows, {len(clocks)} clocks -> {out}")


def compare(before_path: str, after_path: str) -> int:
    before, after = (json.loads(Path(p).read_text()) for p in (before_path, after_path))
    renamed = {}
    for table in before["counts"]:
        if table not in after["counts"]:
            for old, new in MOVED.items():
                candidate = new + table.removeprefix(old)
                if table.startswith(old) and candidate in after["counts"]:
                    renamed[table] = candidate
    problems = []
    for table, count in before["counts"].items():
        target = renamed.get(table, table)
        if target not in after["counts"]:
            problems.append(f"{table}: gone")
        elif after["counts"][target] != count:
            problems.append(f"{table}: {count} rows before, {after['counts'][target]} after")
    differing = [key for key, value in before["clocks"].items() if after["clocks"].get(key) != value]
    print(f"tables: {len(before['counts'])} before, {len(after['counts'])} after; renamed: {renamed}")
    print(f"rows: {sum(before['counts'].values())} before, {sum(after['counts'].values())} after")
    print(f"clocks compared: {len(before['clocks'])}, differing: {len(differing)}")
    for line in problems + differing[:20]:
        print("  " + line)
    return 1 if problems or differing else 0


if __name__ == "__main__":
    if sys.argv[1] == "snapshot":
        snapshot(sys.argv[2])
    else:
        sys.exit(compare(sys.argv[2], sys.argv[3]))
