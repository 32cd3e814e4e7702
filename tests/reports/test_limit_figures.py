"""Time-limit figures in the daily snapshots, the dashboards' selectors, the monthly bulletin
and its exports, on the hand-computed docket of tests/reports/limit_docket.py."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook

from cases import services
from cases.models import Case
from limits import rule as limits
from limits import selectors as limit_selectors
from reports import exports
from reports import services as report_services
from reports.models import BulletinFigure, FigureScope, FigureSnapshot
from reports.periods import Period
from reports.selectors import bulletin_document, court_overview, division_overview
from tests.factories import UserFactory
from tests.reports.limit_docket import END, EXPECTED, START, build_limit_docket

D = dt.date
pytestmark = pytest.mark.django_db

# FigureSnapshot / BulletinFigure columns of the limit_aggregates names.
SNAPSHOT = report_services.SNAPSHOT_LIMIT_COLUMNS
BULLETIN = report_services.BULLETIN_LIMIT_COLUMNS


@pytest.fixture
def docket(court):
    return build_limit_docket(court)


@pytest.fixture
def president(court):
    return UserFactory(username="president", court=court, division=None, roles=["president"])


def _snapshot_sums(as_of: dt.date, **filters) -> dict[str, int]:
    got = FigureSnapshot.objects.filter(as_of=as_of, **filters).aggregate(**{k: Sum(v) for k, v in SNAPSHOT.items()})
    return {k: v or 0 for k, v in got.items()}


def _counts(row: dict) -> dict[str, int]:
    return {k: row[k] for k in SNAPSHOT}


def test_definitions_hand_computed(docket):
    [court] = limit_selectors.limit_figures(START, END)
    assert _counts(court) == EXPECTED["court"]
    assert court["on_time_rate"] == pytest.approx(2 / 3)
    assert court["average_excluded_days"] == pytest.approx(10 / 3)
    assert court["extension_rate"] == pytest.approx(1 / 3)
    by_division = {r["code"]: r for r in limit_selectors.limit_figures(START, END, group_by="division")}
    assert {code: _counts(r) for code, r in by_division.items()} == {
        "civil-1": EXPECTED["civil-1"],
        "civil-2": EXPECTED["civil-2"],
    }
    assert by_division["civil-2"]["on_time_rate"] is None  # nothing closed: no rate
    by_handler = {r["code"]: _counts(r) for r in limit_selectors.limit_figures(START, END, group_by="handler")}
    assert by_handler == {"judge-a": EXPECTED["civil-1"], "judge-b": EXPECTED["civil-2"]}


def test_overdue_and_hidden_flags_are_taken_on_the_end_date(docket):
    # The overdue case's deadline is 10 Jul 2024: not over on that day, over the day after.
    assert limit_selectors.limit_figures(D(2024, 7, 1), D(2024, 7, 10))[0]["overdue"] == 0
    assert limit_selectors.limit_figures(D(2024, 7, 1), D(2024, 7, 11))[0]["overdue"] == 1
    # The flag was raised on 30 Sep: not running on the 29th.
    assert limit_selectors.limit_figures(START, D(2024, 9, 29))[0]["hidden_flags"] == 0
    # A case closed since is no longer open on the end date: neither overdue nor flagged then.
    services.close_case(None, docket.cases["overdue"], closed_on=D(2024, 10, 8), closure_method="judgment")
    [october] = limit_selectors.limit_figures(D(2024, 10, 1), D(2024, 10, 31))
    assert (october["overdue"], october["closed"], october["closed_on_time"]) == (0, 1, 0)
    assert limit_selectors.limit_figures(START, END)[0]["overdue"] == 1  # still overdue on 30 Sep


def test_snapshot_columns_hand_computed(docket):
    report_services.snapshot_figures(END)
    assert _snapshot_sums(END) == EXPECTED["court"]
    assert _snapshot_sums(END, division=docket.civil) == EXPECTED["civil-1"]
    assert _snapshot_sums(END, division=docket.other, handler=docket.judge_b) == EXPECTED["civil-2"]


@pytest.mark.parametrize("as_of", [D(2024, 8, 31), D(2024, 9, 18), D(2024, 9, 24), END, D(2024, 10, 3)])
def test_snapshot_agrees_with_limit_figures(docket, as_of):
    """The snapshot of a day (month to date) is limit_figures over [1st of the month, day]."""
    report_services.snapshot_figures(as_of)
    month_start = as_of.replace(day=1)
    [court] = limit_selectors.limit_figures(month_start, as_of)
    assert _snapshot_sums(as_of) == _counts(court)
    for row in limit_selectors.limit_figures(month_start, as_of, group_by="division"):
        assert _snapshot_sums(as_of, division_id=row["division_id"]) == _counts(row)
    for row in limit_selectors.limit_figures(month_start, as_of, group_by="handler"):
        assert _snapshot_sums(as_of, handler_id=row["handler_id"]) == _counts(row)


def test_dashboard_selectors_read_the_rates(docket, president):
    report_services.snapshot_figures(END)
    overview = court_overview(president, END)
    total = overview.total
    assert (total.closed_month_limited, total.closed_month_on_time, total.overdue, total.hidden_flags) == (3, 2, 1, 1)
    assert total.on_time_rate == pytest.approx(2 / 3)
    assert total.average_excluded_days == pytest.approx(10 / 3)
    assert total.extension_rate == pytest.approx(1 / 3)
    assert overview.month_start == START
    rows = {r.division.code: r.figures for r in overview.rows}
    assert rows["civil-2"].on_time_rate is None and rows["civil-2"].overdue == 1
    drill = division_overview(president, docket.civil, END)
    [judge_a] = [r for r in drill.rows if r.handler_id == docket.judge_a.pk]
    assert judge_a.figures.on_time_rate == pytest.approx(2 / 3) and judge_a.figures.closed_month_extended == 1


def test_snapshot_queries_do_not_grow_with_cases(docket):
    with CaptureQueriesContext(connection) as few:
        report_services.snapshot_figures(END)
    for _n in range(5):
        case = services.register_case(
            None,
            case_number=f"（2024）{docket.civil.court.code}民初{8000 + _n}号",
            filed_on=D(2024, 3, 15),
            division=docket.civil,
            handler=docket.judge_a,
            today=D(2026, 11, 27),
        )
        services.close_case(None, case, closed_on=D(2024, 9, 20), closure_method="judgment")
    with CaptureQueriesContext(connection) as more:
        report_services.snapshot_figures(END)
    assert len(few) == len(more)
    assert _snapshot_sums(END)["closed"] == 8


def _figures(bulletin) -> dict[tuple[str, str, str], dict[str, int]]:
    out = {}
    for row in BulletinFigure.objects.filter(bulletin=bulletin).select_related("division", "handler"):
        key = (row.scope, row.division.code if row.division else "", row.handler.username if row.handler else "")
        out[key] = {name: getattr(row, column) for name, column in BULLETIN.items()}
    return out


def test_bulletin_figures_hand_computed_and_frozen(docket, court):
    bulletin = report_services.build_bulletin(Period(2024, 9), court=court).bulletin
    built = _figures(bulletin)
    assert built[("court", "", "")] == EXPECTED["court"]
    assert built[("division", "civil-1", "")] == EXPECTED["civil-1"]
    assert built[("division", "civil-2", "")] == EXPECTED["civil-2"]
    assert built[("handler", "civil-1", "judge-a")] == EXPECTED["civil-1"]
    assert built[("handler", "civil-2", "judge-b")] == EXPECTED["civil-2"]
    court_row = bulletin.figures.get(scope=FigureScope.COURT)
    assert court_row.on_time_rate == pytest.approx(2 / 3) and court_row.extension_rate == pytest.approx(1 / 3)
    assert court_row.average_excluded_days == pytest.approx(10 / 3)

    # A case changed afterwards: the built figures stay until the draft is rebuilt.
    services.close_case(None, docket.cases["overdue"], closed_on=D(2024, 9, 27), closure_method="judgment")
    assert _figures(bulletin) == built
    report_services.build_bulletin(Period(2024, 9), court=court)
    rebuilt = _figures(bulletin)
    assert rebuilt[("court", "", "")]["closed"] == 4 and rebuilt[("court", "", "")]["overdue"] == 0
    assert rebuilt[("division", "civil-2", "")]["closed_on_time"] == 0  # closed after its deadline


def test_published_bulletin_keeps_its_limit_figures(docket, court):
    officer = UserFactory(username="officer", court=court, division=None, roles=["tracking_officer"])
    bulletin = report_services.build_bulletin(Period(2024, 9), court=court).bulletin
    bulletin = report_services.publish_bulletin(bulletin, officer)
    built = _figures(bulletin)
    services.close_case(None, docket.cases["flagged"], closed_on=D(2024, 9, 28), closure_method="judgment")
    assert report_services.build_bulletin(Period(2024, 9), court=court).outcome == "unchanged"
    assert _figures(bulletin) == built


def test_bulletin_document_queries_do_not_grow_with_rows(docket, court):
    bulletin = report_services.build_bulletin(Period(2024, 9), court=court).bulletin
    with CaptureQueriesContext(connection) as few:
        doc = bulletin_document(bulletin)
        [(r.on_time_rate, r.overdue) for r in [doc.court, *doc.divisions, *doc.handler_rows]]
    for n in range(4):
        judge = UserFactory(username=f"judge-extra-{n}", court=court, division=docket.civil, roles=["handler"])
        case = services.register_case(
            None,
            case_number=f"（2024）{court.code}民初{7000 + n}号",
            filed_on=D(2024, 3, 15),
            division=docket.civil,
            handler=judge,
            today=D(2026, 11, 27),
        )
        services.close_case(None, case, closed_on=D(2024, 9, 20), closure_method="judgment")
    report_services.build_bulletin(Period(2024, 9), court=court)
    with CaptureQueriesContext(connection) as more:
        doc = bulletin_document(bulletin)
        [(r.on_time_rate, r.overdue) for r in [doc.court, *doc.divisions, *doc.handler_rows]]
    assert len(doc.handler_rows) == 6
    assert len(few) == len(more)


def test_xlsx_has_the_limit_columns(docket, court):
    bulletin = report_services.build_bulletin(Period(2024, 9), court=court).bulletin
    with translation.override("en"):
        data = exports.bulletin_xlsx(bulletin)
    wb = load_workbook(io.BytesIO(data), read_only=True)
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r and r[0]}
    assert summary["Closed with a time limit"] == 3 and summary["Closed within the time limit"] == 2
    assert summary["On-time closure rate"] == pytest.approx(0.6667)
    assert summary["Average excluded days"] == pytest.approx(3.3)
    assert summary["Extension rate"] == pytest.approx(0.3333)
    assert (summary["Over the time limit"], summary["Hidden-overrun flags"]) == (1, 1)
    divisions = list(wb["Divisions"].iter_rows(values_only=True))
    header = list(divisions[0])
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in divisions[1:]}
    assert rows["民二庭"]["On-time closure rate"] in ("", None)  # nothing closed: empty, not 0
    assert rows["民二庭"]["Over the time limit"] == 1 and rows["民一庭"]["Extension rate"] == pytest.approx(0.3333)
    handlers = list(wb["Handlers"].iter_rows(values_only=True))
    assert "Hidden-overrun flags" in handlers[0]
    assert {r[1]: r[handlers[0].index("Hidden-overrun flags")] for r in handlers[1:]} == {"法官甲": 0, "法官乙": 1}


def test_pdf_has_the_time_limit_section(docket, court, tmp_path):
    bulletin = report_services.build_bulletin(Period(2024, 9), court=court).bulletin
    path = tmp_path / "bulletin.pdf"
    path.write_bytes(exports.bulletin_pdf(bulletin, language="zh-hans"))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "法定审限" in text and "法定审限内结案率" in text
    assert "66.7%" in text and "33.3%" in text and "3.3" in text


def test_figures_csv_has_every_scope_with_the_limit_columns(docket, court):
    docket.judge_b.name = "=HYPERLINK(1)"  # a name that a spreadsheet would run
    docket.judge_b.save()
    bulletin = report_services.build_bulletin(Period(2024, 9), court=court).bulletin
    with translation.override("en"):
        text = "".join(exports.bulletin_figures_csv(bulletin))
    assert text.startswith("\ufeff")
    header, *rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert header[:3] == ["Scope", "Division", "Handler"] and "On-time closure rate" in header
    by_name = {(r[0], r[1], r[2]): dict(zip(header, r, strict=True)) for r in rows}
    court_row = by_name[("Court", "", "")]
    assert (court_row["Closed with a time limit"], court_row["On-time closure rate"]) == ("3", "0.6667")
    assert court_row["Over the time limit"] == "1" and court_row["Hidden-overrun flags"] == "1"
    assert by_name[("Division", "民二庭", "")]["On-time closure rate"] == ""
    handler = by_name[("Handler", "民二庭", "'=HYPERLINK(1)")]  # neutralised, as in the case list
    assert handler["Hidden-overrun flags"] == "1"
    assert len(rows) == 1 + 2 + 2


def test_overdue_matches_the_clock_status_of_annotate_clock(docket):
    """One rule: the figures' "overdue" is the case list's limit_status "overdue" on that day."""
    for as_of in (D(2024, 7, 10), D(2024, 7, 11), END):
        annotated = limits.annotate_clock(Case.objects.all(), as_of).filter(limit_status=limits.LimitStatus.OVERDUE)
        assert set(Case.objects.filter(limits.overdue_on_q(as_of)).values_list("pk", flat=True)) == set(
            annotated.values_list("pk", flat=True)
        )


def test_admin_shows_the_limit_columns(client, docket, court):
    admin = UserFactory(username="root", court=court, division=None, roles=["admin"], is_staff=True, is_superuser=True)
    report_services.snapshot_figures(END)
    bulletin = report_services.build_bulletin(Period(2024, 9), court=court).bulletin
    client.force_login(admin)
    page = client.get(f"/admin/reports/bulletin/{bulletin.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "Hidden-overrun flags" in page.content.decode()
    page = client.get("/admin/reports/figuresnapshot/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "Over the time limit" in page.content.decode()
