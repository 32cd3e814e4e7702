"""The bulletin's PDF keeps its look however it is rendered (in this process or by worker
processes, in parts of any size): a Chinese font embedded, pages numbered on across the parts, the
list's header row on every page of it, every case listed once per section. And the worker
processes never outlive the rendering, nor the process that started them."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from pypdf import PdfReader

from reports import exports, pdf, services
from reports.periods import Period

D = dt.date
PERIOD = Period(2025, 2)
REASON = "被执行人名下暂无可供执行的财产，正在继续调查其银行账户及不动产登记情况"


@pytest.fixture
def bulletin(org):
    """A bulletin of 2025-02 listing 48 cases, 8 of them key warnings; a third have a plan whose
    long reason wraps in its column, so a part of 30 of them runs over a page."""
    for i in range(40):
        org.case(D(2024, 1, 1) + dt.timedelta(days=5 * i), judge=("civil-a", "enf-b")[i % 2])
    for i in range(8):
        org.case(D(2023, 6, 1) + dt.timedelta(days=7 * i), judge="civil-b")
    bulletin = services.build_bulletin(PERIOD).bulletin
    planned = bulletin.items.order_by("pk").values_list("pk", flat=True)[::3]
    bulletin.items.filter(pk__in=list(planned)).update(
        plan_status="submitted", plan_reason="other", plan_reason_text=REASON, plan_expected_on=D(2025, 6, 30)
    )
    return bulletin


def _pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def _numbers(bulletin, **filters) -> list[str]:
    return list(bulletin.items.filter(**filters).values_list("case_number", flat=True))


@pytest.mark.parametrize("processes", [1, 2])
def test_pages_are_numbered_on_across_parts_and_every_list_page_has_the_header(bulletin, processes):
    data = exports.bulletin_pdf(bulletin, language="zh-hans", chunk_rows=30, processes=processes)
    pages = _pages(data)
    for n, text in enumerate(pages, start=1):
        assert text.rstrip().splitlines()[-1] == f"{PERIOD} · {n}", (n, text[-200:])
    # Front matter, then the key warnings (one part) and the full list (parts of 30 and 18), the
    # first of which, with its long reasons, runs over a page: the header row is on every page.
    numbers = _numbers(bulletin)
    listing = [text for text in pages if any(number in text for number in numbers)]
    assert len(listing) >= 4 and len(pages) > len(listing)
    for text in listing:
        header = text.index("案号")
        assert "预计结案" in text[header:]
        assert header < min(text.index(number) for number in numbers if number in text)
    headings = ("重点预警：超15个月未结", "全部超6个月未结案件")
    continued = [text for text in listing if not any(heading in text for heading in headings)]
    assert continued, "no page continues a part: the test no longer covers the repeated header"
    # Every case once in the full list, and the key warnings once more in theirs.
    key = set(_numbers(bulletin, key_warning=True))
    assert len(key) == 8 and len(numbers) == 48
    text = "".join(pages)
    for number in numbers:
        assert text.count(number) == 1 + (number in key), number


def test_rendered_in_worker_processes_or_here_the_document_reads_the_same(bulletin):
    here = exports.bulletin_pdf(bulletin, language="zh-hans", chunk_rows=7, processes=1)
    workers = exports.bulletin_pdf(bulletin, language="zh-hans", chunk_rows=7, processes=2)
    assert _pages(here) == _pages(workers)


def test_the_chinese_font_and_the_numbers_font_are_embedded(bulletin, tmp_path):
    path = tmp_path / "bulletin.pdf"
    path.write_bytes(exports.bulletin_pdf(bulletin, chunk_rows=20, processes=2))
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    listed = fonts.splitlines()[2:]
    assert any("WenQuanYi" in line for line in listed)  # the Chinese glyphs are not boxes
    assert listed and all(" yes " in line for line in listed), fonts  # every font embedded


def test_a_bulletin_of_more_than_a_part_renders_in_worker_processes(bulletin, settings, caplog):
    settings.BULLETIN_PDF_PROCESSES = 2
    caplog.set_level("INFO", logger="reports.exports")
    exports.bulletin_pdf(bulletin, chunk_rows=100)
    exports.bulletin_pdf(bulletin, chunk_rows=20)
    said = [r.getMessage().rsplit(", ", 1)[-1] for r in caplog.records if r.name == "reports.exports"]
    assert said == ["in this process", "2 worker processes"]


def test_without_the_pseudo_element_rules_the_pdf_is_the_same_byte_for_byte(bulletin):
    from weasyprint import HTML

    lean = pdf._html_class()
    assert lean is not HTML  # WeasyPrint still has the hook and the stylesheet: the parts render faster
    with translation.override("zh-hans"):
        htmls = [render_to_string(t, c) for t, c in exports.bulletin_html_parts(bulletin, chunk_rows=30)]
        context = {"bulletin": bulletin, "first_page": 7, "pages": range(3)}
        htmls.append(render_to_string("reports/bulletin_pdf_numbers.html", context))
    for html in htmls:
        assert lean(string=html, base_url=".").write_pdf() == HTML(string=html, base_url=".").write_pdf()


# --- the worker processes -----------------------------------------------------------------

PART = "<p>第一页</p>"


def _our_workers() -> set[int]:
    """The `python -m reports.pdf` processes this process started and has not reaped."""
    found = set()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            command = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == os.getpid() and b"reports.pdf" in command:
            found.add(int(proc.name))
    return found


def test_parts_come_back_in_order_and_the_workers_end_with_the_rendering():
    parts = ["<p>1</p>" + "<p style='break-before: page'>n</p>" * n for n in range(5)]
    rendered = list(pdf.render_parts(parts, base_url=".", processes=2))
    assert [len(PdfReader(io.BytesIO(part)).pages) for part in rendered] == [1, 2, 3, 4, 5]
    assert _our_workers() == set()


def test_workers_are_stopped_when_the_caller_stops_reading():
    rendered = pdf.render_parts([PART] * 6, base_url=".", processes=2)
    assert next(rendered).startswith(b"%PDF")
    assert len(_our_workers()) == 2
    rendered.close()  # as when the task's time limit is raised in the caller
    assert _our_workers() == set()


def test_a_worker_ends_when_the_process_that_started_it_goes_away():
    # Idle: its stdin ends.
    idle = pdf._Worker(".")
    idle.process.stdin.close()
    assert idle.process.wait(timeout=60) == 0
    # In the middle of a part: it finishes, finds nobody to hand the PDF to, and ends.
    busy = pdf._Worker(".")
    busy.send(PART * 200)
    busy.process.stdout.close()
    busy.process.stdin.close()
    assert busy.process.wait(timeout=60) == 0


def test_a_worker_that_fails_or_dies_raises_with_the_reason():
    worker = pdf._Worker(".")
    try:
        worker.process.stdin.write(pdf._LENGTH.pack(2) + b"\xff\xfe")  # not UTF-8
        worker.process.stdin.flush()
        with pytest.raises(pdf.RenderError, match="UnicodeDecodeError"):
            worker.receive()
        worker.send(PART)  # it goes on with the next part
        assert worker.receive().startswith(b"%PDF")
        worker.send(PART * 200)
        worker.process.kill()
        with pytest.raises(pdf.RenderError, match=r"ended unexpectedly \(exit code -9\)"):
            worker.receive()
    finally:
        worker.close(kill=True)
