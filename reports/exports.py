"""Every export in one place, shared by the pages and the API: the monthly bulletin as CSV, XLSX
and PDF, and a weekly dispatch list as XLSX.

Big bulletins stay bounded in memory: items are read with `.iterator()` in chunks, CSV is
yielded line by line (for a StreamingHttpResponse), XLSX is written by openpyxl's write-only
mode (rows go to a temporary file as they come). The PDF is rendered by WeasyPrint with an
installed CJK font (WenQuanYi Micro Hei or Noto Sans CJK), so Chinese glyphs are embedded rather than
drawn as boxes; with none installed, rendering refuses (reports/fonts.py). It is rendered in parts,
by worker processes when long, and joined and numbered by reports/pdf.py.

Spreadsheet cells that start with =, +, - or @ (or a tab/carriage return) are prefixed with a
quote: a party's name typed as "=HYPERLINK(…)" must stay text when a clerk opens the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import IO, Any

from django.conf import settings
from django.db.models import Count, Q
from django.http import FileResponse, HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from alerts.models import DispatchList, PlanReason, PlanStatus
from cases.ageing import Level

from . import pdf, selectors
from .fonts import require_cjk_font
from .models import Bulletin, BulletinFigure, FigureScope

CHUNK = 2000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_CONTENT_TYPE = "application/pdf"

log = logging.getLogger(__name__)


def safe_cell(value: Any) -> Any:
    """A value safe to put in a spreadsheet cell: text that a spreadsheet would run as a formula
    gets a leading quote; numbers and dates pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def filename(bulletin: Bulletin, extension: str) -> str:
    """Download name, e.g. bulletin-2025-05.pdf."""
    return f"bulletin-{bulletin.period}.{extension}"


def figures_filename(bulletin: Bulletin) -> str:
    """Download name of the figures CSV, e.g. bulletin-2025-05-figures.csv."""
    return f"bulletin-{bulletin.period}-figures.csv"


# --- rows shared by CSV and XLSX --------------------------------------------------------------


def item_header() -> list[str]:
    return [
        _("Case number"),
        _("Division"),
        _("Handler"),
        _("Cause of action"),
        _("Filing date"),
        _("Age (days)"),
        _("Age (months)"),
        _("Over 15 months"),
        _("New since last bulletin"),
        _("Suspended"),
        _("Plan status"),
        _("Plan reason"),
        _("Reason details"),
        _("Expected closing date"),
    ]


def _yes(flag: bool) -> str:
    return _("yes") if flag else ""


ITEM_FIELDS = (
    "case_number",
    "division_name",
    "handler_name",
    "cause",
    "filed_on",
    "age_days",
    "age_months",
    "key_warning",
    "newly_listed",
    "suspended",
    "plan_status",
    "plan_reason",
    "plan_reason_text",
    "plan_expected_on",
)


def bulletin_item_values(bulletin: Bulletin, **filters) -> Iterator[dict[str, Any]]:
    """The bulletin's items as plain dicts with the labels people read, streamed in chunks.

    Labels are translated once per export, not once per row: on a 25,000-case bulletin that
    and skipping model instances halve the export time.
    """
    statuses = {code: str(label) for code, label in PlanStatus.choices}
    reasons = {code: str(label) for code, label in PlanReason.choices}
    none_filed, yes = _("none filed"), _("yes")
    rows = selectors.bulletin_items(bulletin, **filters).values(*ITEM_FIELDS).iterator(chunk_size=CHUNK)
    for row in rows:
        row["plan_status_label"] = statuses.get(row["plan_status"], row["plan_status"]) or none_filed
        row["plan_reason_label"] = reasons.get(row["plan_reason"], row["plan_reason"])
        for flag in ("key_warning", "newly_listed", "suspended"):
            row[f"{flag}_label"] = yes if row[flag] else ""
        yield row


def item_row(row: dict[str, Any]) -> list[Any]:
    """One line of the list, in the order of `item_header()`."""
    return [
        row["case_number"],
        row["division_name"],
        row["handler_name"],
        row["cause"],
        row["filed_on"],
        row["age_days"],
        row["age_months"],
        row["key_warning_label"],
        row["newly_listed_label"],
        row["suspended_label"],
        row["plan_status_label"],
        row["plan_reason_label"],
        row["plan_reason_text"],
        row["plan_expected_on"],
    ]


def figure_header(first: str) -> list[str]:
    return [
        first,
        _("Open cases"),
        _("Over 6 months"),
        _("Share of open cases"),
        _("Over 12 months"),
        _("Over 15 months"),
        _("New"),
        _("Cleared"),
        _("Still listed"),
        _("Change since last bulletin"),
        _("Over 6 months a year earlier"),
        _("Change since a year earlier"),
        _("Received in the month"),
        _("Closed in the month"),
        _("Clearance ratio"),
        _("Average age (days)"),
        *limit_header(),
    ]


def limit_header() -> list[str]:
    """The time-limit columns (limits.rule.limit_aggregates), after the other figures."""
    return [
        _("Closed with a time limit"),
        _("Closed within the time limit"),
        _("On-time closure rate"),
        _("Average excluded days"),
        _("Extension rate"),
        _("Over the time limit"),
        _("Hidden-overrun flags"),
    ]


def limit_values(f: BulletinFigure) -> list[Any]:
    """The time-limit figures of one row, in the order of `limit_header()` (rates as 0–1 ratios,
    like the clearance ratio; empty when nothing closed)."""
    return [
        f.closed_limited,
        f.closed_on_time,
        _ratio(f.on_time_rate),
        round(f.average_excluded_days, 1) if f.average_excluded_days is not None else "",
        _ratio(f.extension_rate),
        f.overdue,
        f.hidden_flags,
    ]


def _ratio(value: float | None) -> float | str:
    return round(value, 4) if value is not None else ""


def figure_row(name: str, f: BulletinFigure) -> list[Any]:
    return [
        name,
        f.open_cases,
        f.listed,
        _ratio(f.share_of_open),
        f.over_12m,
        f.over_15m,
        f.new_listed,
        f.cleared,
        f.still_listed,
        f.change_since_previous,
        f.listed_last_year,
        f.change_since_last_year,
        f.received,
        f.closed,
        _ratio(f.clearance_ratio),
        round(f.average_age_days, 1) if f.average_age_days is not None else "",
        *limit_values(f),
    ]


def _items(bulletin: Bulletin, **filters) -> Iterator[dict[str, Any]]:
    return bulletin_item_values(bulletin, **filters)


# --- CSV ------------------------------------------------------------------------------------


class _Line:
    """A file-like object that hands back what csv.writer writes, one line at a time."""

    def write(self, value: str) -> str:
        return value


def _csv_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return safe_cell(value)


def bulletin_csv(bulletin: Bulletin) -> Iterator[str]:
    """The bulletin's full list as CSV lines (UTF-8 with a BOM so Excel reads the Chinese).

    Yields one line at a time: pass it to a StreamingHttpResponse, or join it for a file.
    """
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow([_csv_value(v) for v in item_header()])
    for item in _items(bulletin):
        yield writer.writerow([_csv_value(v) for v in item_row(item)])


def bulletin_figures_csv(bulletin: Bulletin) -> Iterator[str]:
    """The bulletin's frozen figures as CSV (UTF-8 with a BOM): the court row, each division, then
    each handler, with every figure of the XLSX figure sheets (time limits included). The case
    list stays its own CSV (`bulletin_csv`), one line per case."""
    doc = selectors.bulletin_document(bulletin)
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow([_csv_value(v) for v in [_("Scope"), _("Division"), *figure_header(_("Handler"))]])
    scopes = dict(FigureScope.choices)
    rows = [*([doc.court] if doc.court else []), *doc.divisions, *doc.handler_rows]
    for f in rows:
        values = [str(scopes[f.scope]), f.division_name, *figure_row(f.handler_name, f)]
        yield writer.writerow([_csv_value(v) for v in values])


# --- XLSX -----------------------------------------------------------------------------------


def _xlsx_rows(ws, rows: Iterable[list[Any]], bold_first: bool = True) -> None:
    for i, row in enumerate(rows):
        if i == 0 and bold_first:
            cells = []
            for value in row:
                cell = WriteOnlyCell(ws, value=safe_cell(value))
                cell.font = Font(bold=True)
                cells.append(cell)
            ws.append(cells)
        else:
            ws.append([safe_cell(v) for v in row])


def _sheet_title(text: str) -> str:
    # Excel: at most 31 characters, none of []:*?/\
    return "".join(c for c in str(text) if c not in "[]:*?/\\")[:31]


def write_bulletin_xlsx(bulletin: Bulletin, out: IO[bytes]) -> None:
    """Write the bulletin as an XLSX workbook to `out`: summary, divisions, handlers, key
    warnings and the full list, one sheet each."""
    doc = selectors.bulletin_document(bulletin)
    wb = Workbook(write_only=True)

    summary = wb.create_sheet(_sheet_title(_("Summary")))
    court = doc.court
    summary_rows: list[list[Any]] = [
        [_("Monthly bulletin"), bulletin.title],
        [_("Period"), bulletin.period],
        [_("As of"), bulletin.as_of],
        [_("Status"), bulletin.get_status_display()],
    ]
    if court is not None:
        summary_rows += [
            [_("Open cases"), court.open_cases],
            [_("Over 6 months"), court.listed],
            [_("Over 12 months"), court.over_12m],
            [_("Over 15 months"), court.over_15m],
            [_("New"), court.new_listed],
            [_("Cleared"), court.cleared],
            [_("Still listed"), court.still_listed],
            [_("Over 6 months a year earlier"), court.listed_last_year],
            [_("Received in the month"), court.received],
            [_("Closed in the month"), court.closed],
            [_("Clearance ratio"), _ratio(court.clearance_ratio)],
            [_("Average age (days)"), round(court.average_age_days, 1) if court.average_age_days else ""],
            [_("Divisions at zero"), "、".join(d.division_name for d in doc.divisions_at_zero)],
            *([label, value] for label, value in zip(limit_header(), limit_values(court), strict=True)),
        ]
    _xlsx_rows(summary, summary_rows, bold_first=False)

    by_division = wb.create_sheet(_sheet_title(_("Divisions")))
    _xlsx_rows(by_division, [figure_header(_("Division"))] + [figure_row(d.division_name, d) for d in doc.divisions])

    by_handler = wb.create_sheet(_sheet_title(_("Handlers")))
    handler_rows = [[_("Division"), *figure_header(_("Handler"))]]
    for d in doc.divisions:
        for h in doc.handlers.get(d.division_id, []):
            handler_rows.append([d.division_name, *figure_row(h.handler_name, h)])
    _xlsx_rows(by_handler, handler_rows)

    key = wb.create_sheet(_sheet_title(_("Key warnings")))
    _xlsx_rows(key, chain([item_header()], (item_row(i) for i in _items(bulletin, key_warnings_only=True))))

    full = wb.create_sheet(_sheet_title(_("All cases over 6 months")))
    _xlsx_rows(full, chain([item_header()], (item_row(i) for i in _items(bulletin))))
    wb.save(out)


def bulletin_xlsx(bulletin: Bulletin) -> bytes:
    buffer = io.BytesIO()
    write_bulletin_xlsx(bulletin, buffer)
    return buffer.getvalue()


# --- PDF ------------------------------------------------------------------------------------


def _chunks(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    """Lists of `size` rows; one empty list when there are none (the section still shows "None.")."""
    chunk: list[dict[str, Any]] = []
    sent = False
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            sent, chunk = True, []
    if chunk or not sent:
        yield chunk


def bulletin_html_parts(bulletin: Bulletin, *, chunk_rows: int) -> Iterator[tuple[str, dict]]:
    """The bulletin as printable HTML, in parts: (template, context) for the front matter
    (summary, division and handler tables), then the key warnings and the full list in
    chunks of `chunk_rows` cases."""
    doc = selectors.bulletin_document(bulletin)
    yield (
        "reports/bulletin_pdf.html",
        {
            "doc": doc,
            "bulletin": bulletin,
            "handler_rows": [h for d in doc.divisions for h in doc.handlers.get(d.division_id, [])],
        },
    )
    sections = (
        (_("Key warnings: over 15 months"), _items(bulletin, key_warnings_only=True)),
        (_("All cases over 6 months"), _items(bulletin)),
    )
    for heading, rows in sections:
        for i, chunk in enumerate(_chunks(rows, chunk_rows)):
            context = {"bulletin": bulletin, "heading": heading if i == 0 else "", "items": chunk}
            yield "reports/bulletin_pdf_list.html", context


def draft_pdf_refused(bulletin: Bulletin) -> str:
    """Why a PDF of `bulletin` cannot be made in a request, or "" when it can: a published
    bulletin's is the stored document, a small draft's renders in seconds, a large draft's would
    take minutes (settings.BULLETIN_DRAFT_PDF_MAX_CASES)."""
    if bulletin.is_publishing:
        return _("The PDF is offered once the bulletin is published.")
    if bulletin.is_published:
        return ""
    limit = settings.BULLETIN_DRAFT_PDF_MAX_CASES
    count = bulletin.items.count()
    if count <= limit:
        return ""
    return _(
        "This draft lists %(count)s cases; a PDF of more than %(limit)s is made only when the bulletin is "
        "published (it takes minutes). Print this page, or download the XLSX or CSV."
    ) % {"count": f"{count:,}", "limit": f"{limit:,}"}


def bulletin_pdf(
    bulletin: Bulletin,
    *,
    language: str | None = None,
    chunk_rows: int | None = None,
    processes: int | None = None,
) -> bytes:
    """Render the bulletin as PDF (A4, Chinese glyphs embedded, pages numbered throughout).

    The list is rendered in parts of `chunk_rows` cases (settings.BULLETIN_PDF_CHUNK_ROWS), by up
    to `processes` worker processes at once (settings.BULLETIN_PDF_PROCESSES; 1: in this process),
    and the parts are joined and numbered by reports.pdf: memory stays bounded by a part per
    process. A published bulletin's stored PDF (`bulletin.pdf`, with `pdf_sha256`) is the document
    of record; this function renders afresh.
    """
    require_cjk_font()  # never a PDF of empty boxes (and before WeasyPrint's fonts are loaded)
    chunk_rows = chunk_rows or settings.BULLETIN_PDF_CHUNK_ROWS
    counts = bulletin.items.aggregate(listed=Count("pk"), key=Count("pk", filter=Q(key_warning=True)))
    listed = counts["listed"]
    if processes is None:
        # A list of one part (a draft downloaded from a page, say) renders here: starting the
        # workers would take longer than they could save.
        processes = settings.BULLETIN_PDF_PROCESSES if listed > chunk_rows else 1
    # The front matter, then each section in parts (an empty one is a part too: "None.").
    parts = 1 + sum(max(1, -(-n // chunk_rows)) for n in (counts["key"], listed))
    processes = min(processes, parts)
    log.info(
        "bulletin %s (%s): rendering the PDF of %s listed cases in parts of %s, %s",
        bulletin.pk,
        bulletin.period,
        listed,
        chunk_rows,
        f"{processes} worker processes" if processes > 1 else "in this process",
    )
    base_url = str(settings.BASE_DIR)
    with translation.override(language or settings.LANGUAGE_CODE):
        htmls = (render_to_string(t, c) for t, c in bulletin_html_parts(bulletin, chunk_rows=chunk_rows))

        def numbers(first: int, count: int) -> str:
            context = {"bulletin": bulletin, "first_page": first, "pages": range(count)}
            return render_to_string("reports/bulletin_pdf_numbers.html", context)

        return pdf.join_numbered(
            pdf.render_parts(htmls, base_url=base_url, processes=processes),
            numbers=numbers,
            base_url=base_url,
            metadata={"/Title": f"{bulletin.court.name} {bulletin.period} {bulletin.title}"},
        )


# --- weekly dispatch list -------------------------------------------------------------------


def write_dispatch_xlsx(dispatch_list: DispatchList, out: IO[bytes]) -> None:
    """A division's weekly dispatch list (周调度) as an XLSX workbook, for printing or forwarding."""
    levels = dict(Level.CHOICES)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_sheet_title(_("Dispatch list")))
    _xlsx_rows(
        ws,
        [
            [_("Division"), str(dispatch_list.division)],
            [_("Week"), f"{dispatch_list.week_start.isoformat()} – {dispatch_list.week_end.isoformat()}"],
            [],
        ],
        bold_first=False,
    )
    header = [
        _("Case number"),
        _("Handler"),
        _("Level"),
        _("Crossed a line this week"),
        _("Missing a plan"),
        _("Plan overdue"),
        _("Over 15 months"),
        _("Filing date"),
        _("Age (days)"),
        _("Expected closing date"),
        _("Since last week"),
    ]
    items = dispatch_list.items.select_related("case", "handler").order_by("filed_on", "pk").iterator(chunk_size=CHUNK)
    rows = (
        [
            item.case.case_number,
            str(item.handler) if item.handler_id else "",
            str(levels.get(item.level, item.level)),
            str(levels.get(item.crossed_level, item.crossed_level)) if item.crossed_level else "",
            _yes(item.missing_plan),
            _yes(item.overdue_plan),
            _yes(item.over_15m),
            item.filed_on,
            (dispatch_list.as_of - item.filed_on).days,
            item.expected_close_on,
            item.get_outcome_display() if item.outcome else "",
        ]
        for item in items
    )
    _xlsx_rows(ws, chain([header], rows))
    wb.save(out)


def dispatch_xlsx(dispatch_list: DispatchList) -> bytes:
    buffer = io.BytesIO()
    write_dispatch_xlsx(dispatch_list, buffer)
    return buffer.getvalue()


# --- the bulletin's PDF for a reader --------------------------------------------------------


class PdfRefused(Exception):
    """No PDF of this bulletin in a request now (`draft_pdf_refused` says why, for people)."""


def bulletin_pdf_download(bulletin: Bulletin, *, language: str | None = None) -> HttpResponse:
    """The PDF of `bulletin` for a reader, as a download (the page's and the API's): once
    published, the stored document of record exactly as published (its SHA-256 is shown);
    before, rendered afresh in `language`.

    Raises PdfRefused (publishing, or a draft too large to render in a request) and, when it
    must render, CJKFontMissing; each caller answers those its own way."""
    refused = draft_pdf_refused(bulletin)
    if refused:
        raise PdfRefused(refused)
    name = filename(bulletin, "pdf")
    if bulletin.is_published and bulletin.pdf:
        return FileResponse(bulletin.pdf.open("rb"), as_attachment=True, filename=name, content_type=PDF_CONTENT_TYPE)
    response = HttpResponse(bulletin_pdf(bulletin, language=language), content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
