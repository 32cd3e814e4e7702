"""Exports: bulletin CSV, XLSX and PDF read back; formula injection; the stored PDF and its hash;
the weekly dispatch list as XLSX."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import subprocess

import pytest
from django.utils import timezone, translation
from openpyxl import load_workbook

from alerts.models import DispatchItem, DispatchList
from reports import exports, services
from reports.periods import Period

D = dt.date


@pytest.fixture
def bulletin(org):
    org.case(D(2023, 10, 15), judge="civil-b")  # key warning
    org.case(D(2024, 8, 27), judge="civil-a", parties='=HYPERLINK("http://evil")诉某', cause="+SUM(A1:A9)")
    org.case(D(2024, 1, 10), judge="enf-a", cause="-1+1")
    org.case(D(2024, 12, 1), judge="enf-b")  # not over 6 months
    org.judges["enf-a"].name = "@张三"
    org.judges["enf-a"].save()
    return services.build_bulletin(Period(2025, 2)).bulletin


def _numbers(bulletin):
    return sorted(bulletin.items.values_list("case_number", flat=True))


def test_safe_cell():
    assert exports.safe_cell("=1+1") == "'=1+1"
    assert exports.safe_cell("+86 138") == "'+86 138"
    assert exports.safe_cell("-2") == "'-2"
    assert exports.safe_cell("@cmd") == "'@cmd"
    assert exports.safe_cell("\t=x") == "'\t=x"
    assert exports.safe_cell("民间借贷纠纷") == "民间借贷纠纷"
    assert exports.safe_cell(-2) == -2
    assert exports.safe_cell(D(2025, 1, 1)) == D(2025, 1, 1)


def test_csv_reads_back(bulletin):
    with translation.override("en"):
        text = "".join(exports.bulletin_csv(bulletin))
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][0] == "Case number"
    assert sorted(r[0] for r in rows[1:]) == _numbers(bulletin)
    by_number = {r[0]: r for r in rows[1:]}
    civil_b = bulletin.items.get(key_warning=True)
    assert by_number[civil_b.case_number][7] == "yes"  # over 15 months
    # Formula-looking text is neutralised; the handler "@张三" too.
    causes = {r[3] for r in rows[1:]}
    assert "'+SUM(A1:A9)" in causes and "'-1+1" in causes
    assert "'@张三" in {r[2] for r in rows[1:]}
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_csv_is_streamed_line_by_line(bulletin):
    lines = exports.bulletin_csv(bulletin)
    assert next(lines).startswith("\ufeff")
    assert sum(1 for _line in lines) == bulletin.items.count()


def test_xlsx_reads_back(bulletin):
    with translation.override("zh-hans"):
        data = exports.bulletin_xlsx(bulletin)
    wb = load_workbook(io.BytesIO(data), read_only=True)
    sheets = wb.sheetnames
    assert len(sheets) == 5
    full = list(wb[sheets[-1]].iter_rows(values_only=True))
    assert sorted(r[0] for r in full[1:]) == _numbers(bulletin)
    key = list(wb[sheets[3]].iter_rows(values_only=True))
    assert [r[0] for r in key[1:]] == list(
        bulletin.items.filter(key_warning=True).values_list("case_number", flat=True)
    )
    divisions = list(wb[sheets[1]].iter_rows(values_only=True))
    assert {r[0] for r in divisions[1:]} == {"民一庭", "执行局"}
    summary = dict(r[:2] for r in wb[sheets[0]].iter_rows(values_only=True))
    assert bulletin.period in summary.values()
    cells = [c for sheet in sheets for row in wb[sheet].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert "'+SUM(A1:A9)" in cells and "'@张三" in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)


def _pdf_tool(tool, path):
    return subprocess.run([tool, str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_published_pdf_has_chinese_glyphs_case_numbers_and_its_hash(org, bulletin, tmp_path):
    bulletin = services.publish_bulletin(bulletin, org.officer)
    data = bulletin.pdf.read()
    assert data.startswith(b"%PDF")
    assert hashlib.sha256(data).hexdigest() == bulletin.pdf_sha256
    path = tmp_path / "bulletin.pdf"
    path.write_bytes(data)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "WenQuanYi" in fonts  # a CJK font is embedded, so the glyphs are not boxes
    embedded = [line for line in fonts.splitlines() if "WenQuanYi" in line]
    assert all(" yes " in line for line in embedded)
    text = _pdf_tool("pdftotext", path)
    for number in _numbers(bulletin):
        assert number in text
    assert bulletin.title in text and "民一庭" in text


def test_stored_pdf_is_not_rewritten(org, bulletin):
    bulletin = services.publish_bulletin(bulletin, org.officer)
    name, digest = bulletin.pdf.name, bulletin.pdf_sha256
    services.build_bulletin(Period(2025, 2))
    bulletin.refresh_from_db()
    assert (bulletin.pdf.name, bulletin.pdf_sha256) == (name, digest)


def test_dispatch_list_xlsx(org, bulletin):
    case = bulletin.items.get(key_warning=True).case
    dispatch = DispatchList.objects.create(
        division=org.civil,
        week_start=D(2025, 2, 17),
        week_end=D(2025, 2, 23),
        as_of=D(2025, 2, 24),
        head=org.heads["civil"],
        built_at=timezone.now(),
    )
    DispatchItem.objects.create(
        dispatch_list=dispatch,
        case=case,
        handler=org.judges["civil-b"],
        level="over_15m",
        missing_plan=True,
        over_15m=True,
        filed_on=case.filed_on,
    )
    wb = load_workbook(io.BytesIO(exports.dispatch_xlsx(dispatch)), read_only=True)
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][1] == "民一庭"
    listed = [r for r in rows if r and r[0] == case.case_number]
    assert len(listed) == 1
    assert listed[0][7].date() == case.filed_on
    assert listed[0][8] == (D(2025, 2, 24) - case.filed_on).days


def test_pdf_rendered_in_parts_keeps_every_case_and_numbers_pages_on(bulletin, tmp_path):
    path = tmp_path / "parts.pdf"
    path.write_bytes(exports.bulletin_pdf(bulletin, chunk_rows=1))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    # Front matter, one part per key warning, one per listed case: a page each at least.
    assert pages >= 1 + 1 + bulletin.items.count()
    text = _pdf_tool("pdftotext", path)
    for number in _numbers(bulletin):
        assert number in text
    texts = [page for page in text.split("\f") if page.strip()]
    assert len(texts) == pages
    for n, page in enumerate(texts, start=1):
        assert f"{bulletin.period} · {n}\n" in page + "\n", n
