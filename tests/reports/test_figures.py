"""Daily figure snapshots and the dashboard selectors that read them."""

from __future__ import annotations

import datetime as dt
import random
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from cases import ageing
from cases.models import Case
from jobs.models import JobOutcome
from reports import services
from reports.models import BAND_FIELDS, FigureSnapshot
from reports.selectors import court_overview, division_overview, latest_snapshot_date
from reports.tasks import snapshot_figures_task

D = dt.date


@pytest.fixture
def docket(org):
    """Two hundred cases filed over three years, some closed, spread over the handlers."""
    rng = random.Random(11)
    judges = list(org.judges)
    for _ in range(200):
        filed = D(2022, 6, 1) + dt.timedelta(days=rng.randrange(1000))
        closed = filed + dt.timedelta(days=rng.randrange(700)) if rng.random() < 0.5 else None
        status = "suspended" if closed is None and rng.random() < 0.1 else "open"
        org.case(filed, judge=rng.choice(judges), closed_on=closed, **({"status": status} if not closed else {}))
    # A case with no handler has its own row.
    org.case(D(2024, 1, 31), judge="civil-a", handler=None)
    return org


def _direct(as_of: dt.date, warning: int, **filters) -> dict[str, int]:
    """The same counts straight from the ageing rule over the case table."""
    cases = Case.objects.filter(**filters)
    month_start = as_of.replace(day=1)
    out = {
        "open_cases": cases.filter(ageing.open_on_q(as_of)).count(),
        "over_6m": cases.filter(ageing.over_line_q(6, as_of)).count(),
        "over_12m": cases.filter(ageing.over_line_q(12, as_of)).count(),
        "over_15m": cases.filter(ageing.over_line_q(15, as_of)).count(),
        "approaching_6m": cases.filter(ageing.level_q(ageing.Level.APPROACHING_6M, as_of, warning)).count(),
        "approaching_15m": cases.filter(ageing.level_q(ageing.Level.APPROACHING_15M, as_of, warning)).count(),
        "received_day": cases.filter(filed_on=as_of).count(),
        "closed_day": cases.filter(closed_on=as_of).count(),
        "received_month": cases.filter(filed_on__range=(month_start, as_of)).count(),
        "closed_month": cases.filter(closed_on__range=(month_start, as_of)).count(),
    }
    for label, low, high in ageing.AGE_BANDS:
        out[BAND_FIELDS[label]] = cases.filter(ageing.age_band_q(low, high, as_of)).count()
    out["open_age_days"] = sum(
        (as_of - c.filed_on).days for c in cases.filter(ageing.open_on_q(as_of)).only("filed_on")
    )
    return out


@pytest.mark.parametrize("as_of", [D(2024, 2, 29), D(2024, 8, 31), D(2025, 2, 28), D(2025, 3, 17)])
def test_snapshot_equals_direct_ageing_queries(docket, as_of):
    services.snapshot_figures(as_of)
    warning = docket.court.warning_window_days
    names = list(_direct(as_of, warning))
    court = FigureSnapshot.objects.filter(as_of=as_of).aggregate(**{n: Sum(n) for n in names})
    assert court == _direct(as_of, warning)
    for division in (docket.civil, docket.enforcement):
        got = FigureSnapshot.objects.filter(as_of=as_of, division=division).aggregate(**{n: Sum(n) for n in names})
        assert got == _direct(as_of, warning, division=division)
    judge = docket.judges["civil-a"]
    row = FigureSnapshot.objects.get(as_of=as_of, division=docket.civil, handler=judge)
    assert {n: getattr(row, n) for n in names} == _direct(as_of, warning, division=docket.civil, handler=judge)


def test_snapshot_average_disposition(org):
    org.case(D(2025, 1, 1), closed_on=D(2025, 3, 11))
    org.case(D(2025, 2, 1), closed_on=D(2025, 3, 1))
    services.snapshot_figures(D(2025, 3, 31))
    overview = court_overview(org.president, D(2025, 3, 31))
    assert overview.total.closed_month == 2
    assert overview.total.average_disposition_days == ((D(2025, 3, 11) - D(2025, 1, 1)).days + 28) / 2


def test_snapshot_rerun_replaces_the_day(docket):
    first = services.snapshot_figures(D(2025, 2, 28))
    rows = sorted(FigureSnapshot.objects.values_list("division_id", "handler_id", "open_cases", "over_6m"), key=str)
    assert services.snapshot_figures(D(2025, 2, 28)) == first
    assert (
        sorted(FigureSnapshot.objects.values_list("division_id", "handler_id", "open_cases", "over_6m"), key=str)
        == rows
    )
    assert FigureSnapshot.objects.filter(handler__isnull=True).count() == 1


def test_snapshot_job_and_task(docket):
    run = services.run_snapshot_job(D(2025, 2, 28), trigger="test")
    assert run.outcome == JobOutcome.SUCCESS
    assert run.counts["rows"] == FigureSnapshot.objects.count()
    assert snapshot_figures_task.run("2025-03-01") == JobOutcome.SUCCESS
    assert latest_snapshot_date() == D(2025, 3, 1)


def test_backfill_command_writes_month_ends(docket):
    out = StringIO()
    call_command("snapshot_figures", "--from", "2024-03-15", "--to", "2025-02-28", stdout=out)
    days = sorted(set(FigureSnapshot.objects.values_list("as_of", flat=True)))
    assert days[0] == D(2024, 3, 31) and days[-1] == D(2025, 2, 28) and len(days) == 12
    assert D(2024, 2, 29) not in days
    assert out.getvalue().count("\n") == 1 and "12 month ends" in out.getvalue()


def test_court_overview(docket):
    call_command("snapshot_figures", "--from", "2023-12-01", "--to", "2025-02-28", stdout=StringIO())
    as_of = D(2025, 2, 28)
    overview = court_overview(docket.president, as_of)
    assert overview.as_of == as_of
    assert overview.total.over_6m == Case.objects.filter(ageing.over_line_q(6, as_of)).count()
    assert overview.total.open_cases == Case.objects.filter(ageing.open_on_q(as_of)).count()
    assert [r.division for r in overview.rows] == [docket.civil, docket.enforcement]
    assert sum(count for _label, count in overview.total.age_distribution) == overview.total.open_cases
    assert [label for label, _count in overview.total.age_distribution] == [b[0] for b in ageing.AGE_BANDS]
    # Twelve month ends, the last one the as-of date, each the count by the ageing rule then.
    assert [p.as_of for p in overview.trend][0] == D(2024, 3, 31)
    assert len(overview.trend) == 12
    for point in overview.trend:
        assert point.over_6m == Case.objects.filter(ageing.over_line_q(6, point.as_of)).count()
        assert point.over_15m == Case.objects.filter(ageing.over_line_q(15, point.as_of)).count()
    civil = overview.rows[0]
    assert civil.trend[-1].over_6m == civil.figures.over_6m
    # Progress to zero against the end of last year.
    baseline = Case.objects.filter(ageing.over_line_q(6, D(2024, 12, 31))).count()
    assert overview.baseline.as_of == D(2024, 12, 31) and overview.baseline.over_6m == baseline
    assert overview.progress_to_zero == pytest.approx(1 - overview.total.over_6m / baseline)


def test_overview_reads_a_fixed_number_of_queries(docket):
    call_command("snapshot_figures", "--from", "2024-01-01", "--to", "2025-02-28", stdout=StringIO())
    assert docket.president.roles  # the roles are read once per request, not per figure
    with CaptureQueriesContext(connection) as few:
        court_overview(docket.president, D(2025, 2, 28))
    for n in range(30):
        docket.case(D(2024, 1, 1) + dt.timedelta(days=n), judge="enf-b")
    call_command("snapshot_figures", "--from", "2024-01-01", "--to", "2025-02-28", stdout=StringIO())
    with CaptureQueriesContext(connection) as more:
        court_overview(docket.president, D(2025, 2, 28))
    assert len(few) == len(more) <= 6


def test_division_head_sees_their_division_and_drills_down(docket):
    services.snapshot_figures(D(2025, 2, 28))
    head = docket.heads["civil"]
    overview = court_overview(head, D(2025, 2, 28))
    assert [r.division for r in overview.rows] == [docket.civil]
    assert (
        overview.total.open_cases
        == Case.objects.filter(ageing.open_on_q(D(2025, 2, 28)), division=docket.civil).count()
    )
    assert division_overview(head, docket.enforcement, D(2025, 2, 28)) is None

    drill = division_overview(docket.president, docket.civil, D(2025, 2, 28))
    by_handler = {r.handler_id: r.figures.over_6m for r in drill.rows}
    for judge in ("civil-a", "civil-b"):
        handler = docket.judges[judge]
        expected = Case.objects.filter(ageing.over_line_q(6, D(2025, 2, 28)), division=docket.civil, handler=handler)
        assert by_handler[handler.pk] == expected.count()
    assert None in by_handler  # the case with no handler
    assert drill.total.open_cases == sum(r.figures.open_cases for r in drill.rows)


def test_overview_without_snapshots(org):
    assert court_overview(org.president) is None


def test_one_row_per_day_division_and_handler_even_without_a_handler(docket):
    from django.db import IntegrityError, transaction

    services.snapshot_figures(D(2025, 2, 28))
    for row in (
        FigureSnapshot.objects.filter(handler__isnull=True).first(),
        FigureSnapshot.objects.filter(handler__isnull=False).first(),
    ):
        row.pk = None
        with pytest.raises(IntegrityError), transaction.atomic():
            row.save()


def test_snapshot_command_for_one_day(docket):
    out = StringIO()
    call_command("snapshot_figures", "--as-of", "2025-02-28", stdout=out)
    assert out.getvalue().startswith("snapshot_figures 2025-02-28: success,")
    assert latest_snapshot_date() == D(2025, 2, 28)
