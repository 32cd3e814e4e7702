"""User text is escaped everywhere it is shown: script and HTML in a case's cause and parties, a
plan's steps and reasons, a person's and a division's name never run in the pages, and text that
a spreadsheet would run as a formula is neutralised in the bulletin's CSV and XLSX downloads."""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from alerts.services import file_plan
from reports import services as report_services
from reports.periods import Period
from tests.factories import CaseFactory, DivisionFactory, UserFactory

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'
FORMULA = '=HYPERLINK("http://x","y")'
FORMULAS = (FORMULA, "+1+1", "-2+3", "@SUM(A1)")
DANGEROUS_MARKUP = (SCRIPT, IMG, "<img src=x")


@pytest.fixture
def hostile(court):
    division = DivisionFactory(court=court, code="civil-x", name=f"民一庭{IMG}")
    head = UserFactory(
        username="head-x", name=f"@庭长{SCRIPT}", court=court, division=division, roles=["division_head", "handler"]
    )
    division.head = head
    division.save()
    handler = UserFactory(username="judge-x", name=f"=法官{IMG}", court=court, division=division, roles=["handler"])
    clerk = UserFactory(username="clerk-x", court=court, division=division, roles=["clerk"])
    officer = UserFactory(username="officer-x", court=court, division=None, roles=["tracking_officer"])
    today = timezone.localdate()
    cases = [
        CaseFactory(
            court=court,
            division=division,
            handler=handler,
            filed_on=dt.date(2024, 3, 15),
            cause=f"{formula}{SCRIPT}",
            parties=f"{formula}张三{IMG}诉李四",
        )
        for formula in FORMULAS
    ]
    plan = file_plan(
        head,
        cases[0],
        reason="other",
        reason_text=f"{FORMULA}{SCRIPT}",
        expected_close_on=today + dt.timedelta(days=30),
        steps=f"-1 {SCRIPT} 第一步 {IMG}",
        submit=True,
    )
    last_month = Period.containing(today.replace(day=1) - dt.timedelta(days=1))
    bulletin = report_services.build_bulletin(last_month).bulletin
    return {"clerk": clerk, "head": head, "officer": officer, "cases": cases, "plan": plan, "bulletin": bulletin}


def assert_escaped(html: str, where: str) -> None:
    for markup in DANGEROUS_MARKUP:
        assert markup not in html, f"unescaped {markup!r} in {where}"


def test_case_pages_escape_user_text(client, hostile):
    case = hostile["cases"][0]
    for who in ("clerk", "head", "officer"):
        client.force_login(hostile[who])
        for url in (f"/cases/{case.pk}/", "/cases/", f"/cases/?q={case.case_number}", "/"):
            response = client.get(url)
            assert response.status_code == 200, (who, url, response.status_code)
            assert_escaped(response.content.decode(), f"{url} as {who}")
        page = client.get(f"/cases/{case.pk}/").content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown as text, not dropped


def test_plan_and_alert_pages_escape_user_text(client, hostile):
    client.force_login(hostile["head"])
    for url in ("/alerts/plans/", "/alerts/tracking/", "/alerts/dispatch/", "/alerts/inbox/"):
        response = client.get(url)
        if response.status_code == 403:
            continue
        assert response.status_code == 200, (url, response.status_code)
        assert_escaped(response.content.decode(), url)


def test_bulletin_pages_escape_user_text(client, hostile):
    bulletin = hostile["bulletin"]
    client.force_login(hostile["officer"])
    for url in ("/reports/bulletins/", f"/reports/bulletins/{bulletin.pk}/", "/reports/overview/"):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert_escaped(response.content.decode(), url)


def _csv_rows(client, bulletin) -> list[list[str]]:
    response = client.get(f"/reports/bulletins/{bulletin.pk}/download.csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_bulletin_csv_neutralises_formulas(client, hostile):
    client.force_login(hostile["officer"])
    rows = _csv_rows(client, hostile["bulletin"])
    assert len(rows) == 1 + len(hostile["cases"])
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert f"'{FORMULA}{SCRIPT}" in cells  # kept, with the quote that stops the spreadsheet


def test_bulletin_xlsx_neutralises_formulas(client, hostile):
    client.force_login(hostile["officer"])
    response = client.get(f"/reports/bulletins/{hostile['bulletin'].pk}/download.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    texts = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"formula in {sheet.title}!{cell.coordinate}: {cell.value!r}"
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    assert not [t for t in texts if t.startswith(("=", "+", "-", "@"))]
    assert f"'{FORMULA}{SCRIPT}" in texts


def test_api_returns_text_as_data(hostile):
    """JSON carries the text unchanged (escaping is the reader's job); it is never rendered as HTML."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=hostile['officer']).key}")
    response = api.get(f"/api/v1/cases/{hostile['cases'][0].pk}/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["cause"] == f"{FORMULA}{SCRIPT}"


def test_bulletin_pdf_prints_markup_as_text(client, hostile, settings, tmp_path):
    """The PDF is rendered from escaped HTML: the cause prints literally, nothing is interpreted."""
    import shutil
    import subprocess

    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    settings.MEDIA_ROOT = tmp_path
    client.force_login(hostile["officer"])
    response = client.get(f"/reports/bulletins/{hostile['bulletin'].pk}/download.pdf")
    assert response.status_code == 200
    pdf = tmp_path / "bulletin.pdf"
    pdf.write_bytes(b"".join(response.streaming_content) if response.streaming else response.content)
    # In reading order: a cell's text wrapped over several lines of its column comes out in one run.
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "<script>alert(1)" in text.replace("\n", "")
