"""The one upsert of cases from outside: the bulk API, the web UI's XLSX/CSV import page and
`manage.py import_cases` all come here.

    rows = read_file(uploaded_file, "cases.xlsx")        # headers in Chinese or English
    preview = upsert_cases(user, rows, source=Source.FILE, dry_run=True)   # per-row results, nothing kept
    report = upsert_cases(user, rows, source=Source.FILE)                  # the same, saved

Each row is matched by external_id when given (falling back to the case number for a case
that has no external id yet), else by its normalised case number; it is then created,
updated or reported unchanged. A row with errors is refused alone: new rows are validated
before one set-based INSERT (services.register_cases), changed rows are validated before one
set-based UPDATE (services.change_cases). A batch over MAX_ROWS is refused whole.

In a file, an empty cell means "not given" (the case keeps its value); in the API, a field
left out is not given and null clears it.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import case_numbers, dates, import_uploads, services
from .models import Case, CaseStatus, ClosureMethod, Court, Division, Procedure, User
from .permissions import can_edit_case, can_register_cases, visible_cases
from .selectors import field_label

MAX_ROWS = 1000


class Source:
    API = "api"  # JSON values: strict types, dates as YYYY-MM-DD
    FILE = "file"  # cells: text or spreadsheet values, Chinese labels accepted


# Column headers a file may use for each field (compared without spaces, case-insensitive).
HEADERS: dict[str, tuple[str, ...]] = {
    "case_number": ("案号", "case_number", "case number", "casenumber"),
    "external_id": ("外部编号", "外部id", "系统编号", "案件标识", "external_id", "external id"),
    "division": ("承办部门", "承办庭", "部门", "庭室", "division"),
    "handler": ("承办人", "承办法官", "handler"),
    "clerk": ("书记员", "clerk"),
    "procedure": ("程序", "适用程序", "审理程序", "procedure"),
    "cause": ("案由", "cause"),
    "parties": ("当事人", "parties"),
    "filed_on": ("立案日期", "立案时间", "filed_on", "filing date", "filed on"),
    "status": ("状态", "案件状态", "status"),
    "closed_on": ("结案日期", "结案时间", "closed_on", "closing date", "closed on"),
    "closure_method": ("结案方式", "closure_method", "closure method"),
    "business_environment": ("涉营商环境", "营商环境", "business_environment", "business environment"),
}
FIELDS = tuple(HEADERS)
_HEADER_INDEX = {re.sub(r"\s+", "", alias).lower(): name for name, aliases in HEADERS.items() for alias in aliases}

STATUS_LABELS = {
    "未结": CaseStatus.OPEN,
    "在办": CaseStatus.OPEN,
    "审理中": CaseStatus.OPEN,
    "执行中": CaseStatus.OPEN,
    "中止": CaseStatus.SUSPENDED,
    "已中止": CaseStatus.SUSPENDED,
    "已结": CaseStatus.CLOSED,
    "结案": CaseStatus.CLOSED,
    "已结案": CaseStatus.CLOSED,
}
PROCEDURE_LABELS = {
    "普通程序": Procedure.ORDINARY,
    "普通": Procedure.ORDINARY,
    "简易程序": Procedure.SIMPLE,
    "简易": Procedure.SIMPLE,
    "小额诉讼": Procedure.SMALL_CLAIMS,
    "小额诉讼程序": Procedure.SMALL_CLAIMS,
    "速裁": Procedure.FAST_TRACK,
    "速裁程序": Procedure.FAST_TRACK,
    "特别程序": Procedure.SPECIAL,
    "其他": Procedure.OTHER,
}
CLOSURE_LABELS = {
    "判决": ClosureMethod.JUDGMENT,
    "调解": ClosureMethod.MEDIATION,
    "撤诉": ClosureMethod.WITHDRAWAL,
    "驳回": ClosureMethod.DISMISSAL,
    "驳回起诉": ClosureMethod.DISMISSAL,
    "移送": ClosureMethod.TRANSFER,
    "裁定": ClosureMethod.RULING,
    "终结本次执行": ClosureMethod.TERMINATED_FOR_NOW,
    "终本": ClosureMethod.TERMINATED_FOR_NOW,
    "执行完毕": ClosureMethod.ENFORCEMENT_COMPLETED,
    "其他": ClosureMethod.OTHER,
}
TRUE_WORDS = {"true", "1", "yes", "y", "是", "√", "t"}
FALSE_WORDS = {"false", "0", "no", "n", "否", "f", ""}
MAX_LENGTHS = {"case_number": 60, "external_id": 64, "cause": 200, "parties": 500}


@dataclass
class RowResult:
    index: int
    case_number: str | None
    result: str  # created | updated | unchanged | error
    errors: dict[str, list[str]] = field(default_factory=dict)
    case_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"case_number": self.case_number, "result": self.result, "id": self.case_id, "errors": self.errors}


@dataclass
class ImportReport:
    results: list[RowResult] = field(default_factory=list)
    dry_run: bool = False
    refused: str = ""  # the whole batch was refused (too many rows): nothing saved

    def count(self, result: str) -> int:
        return sum(1 for r in self.results if r.result == result)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.count("created"),
            "updated": self.count("updated"),
            "unchanged": self.count("unchanged"),
            "errors": self.count("error"),
            "results": [r.as_dict() for r in self.results],
        }


# --- reading files ---------------------------------------------------------------------------

# Limits of a file, so that a small upload cannot hold a web worker for minutes or take a gigabyte
# (an XLSX is a zip: 432 KB of it once held three million rows, 147 MB of sheet XML).
#
# * Rows: a file is read row by row and refused at the first row over the limit, without reading
#   on. The import page takes one batch (MAX_ROWS); `import_cases` reads up to FILE_MAX_ROWS
#   (or its --max-rows) and upserts them a batch at a time.
# * Unpacked size: before openpyxl opens a workbook, the sizes its zip declares for its parts must
#   add up to at most unpacked_limit(rows). zipfile never inflates a part beyond its declared size
#   (it stops there and the CRC check fails), so a false declaration gains nothing.
# * A sheet's recorded size: openpyxl's read-only mode reads a sheet that does not record its
#   size (<dimension>) to its end before giving the first row. Such sheets are read only when small
#   (SCAN_LIMIT); every sheet is then read by its rows, whatever size it records, because some
#   programs record a wrong one (Apache POI's streaming writer records "A1").
FILE_MAX_ROWS = 50_000
BYTES_PER_ROW = 4 * 1024  # a row with every field at its longest, as inline strings, is about 3 KB
BYTES_BESIDES_ROWS = 1024 * 1024  # styles, theme, workbook and relationship parts
SCAN_LIMIT = 5 * 1024 * 1024
MAX_COLUMNS = 200  # columns after the 200th are not read
_SHEET_MAX_ROW = 1_048_576  # Excel's last row: openpyxl fills gaps up to a row's number
_PEEK_BYTES = 64 * 1024


def unpacked_limit(max_rows: int) -> int:
    """How many bytes a workbook of at most `max_rows` rows may unpack to, all its parts together."""
    return max_rows * BYTES_PER_ROW + BYTES_BESIDES_ROWS


def read_file(file, filename: str, *, max_rows: int = MAX_ROWS) -> list[dict[str, Any]]:
    """Rows of a CSV or XLSX file as dicts keyed by field name (see HEADERS).

    Raises ValidationError({"file": …}) for an unreadable file, one without a case-number column,
    or one over the limits above for `max_rows` rows. Columns with unknown headers are ignored;
    empty rows are skipped.
    """
    name = filename.lower()
    if name.endswith(".xlsx"):
        reader = _xlsx_rows
    elif name.endswith(".csv") or name.endswith(".txt"):
        reader = _csv_rows
    else:
        raise ValidationError({"file": [_("Upload an .xlsx or .csv file.")]})
    rows = reader(file, max_rows)
    try:
        # The header and at most max_rows rows; one more means the file is over the limit.
        table = list(itertools.islice(rows, max_rows + 2))
    except ValidationError:
        raise
    except Exception as exc:  # a damaged workbook raises many kinds of errors
        raise ValidationError({"file": [_("The file could not be read: %(error)s") % {"error": exc}]}) from exc
    finally:
        rows.close()  # closes the workbook
    if len(table) > max_rows + 1:
        raise ValidationError(
            {
                "file": [
                    _("The file has more than %(max)s rows; at most %(max)s rows can be imported at once.")
                    % {"max": f"{max_rows:,}"}
                ]
            }
        )
    if not table:
        raise ValidationError({"file": [_("The file is empty.")]})
    header, *body = table
    columns = [_HEADER_INDEX.get(re.sub(r"\s+", "", str(h or "")).lower()) for h in header]
    if "case_number" not in columns and "external_id" not in columns:
        raise ValidationError({"file": [_("The first row must name the columns, including 案号 (case_number).")]})
    rows_out = []
    for cells in body:
        row = {}
        for column, value in zip(columns, cells, strict=False):
            if column is None:
                continue
            if isinstance(value, str):
                value = value.strip()
            if value is None or value == "":
                continue  # an empty cell is "not given"
            row[column] = value
        if row:
            rows_out.append(row)
    return rows_out


def _csv_rows(file, max_rows: int) -> Iterator[list[str]]:
    """The non-empty rows of a CSV file, decoded as UTF-8 or else GB 18030 (judged on its start)."""
    head = file.read(_PEEK_BYTES)
    if isinstance(head, str):  # a text file object (held in memory already)
        text: Any = io.StringIO(head + file.read())
    else:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
            encoding = "utf-8-sig"
        except UnicodeDecodeError:
            encoding = "gb18030"
        file.seek(0)
        text = io.TextIOWrapper(file, encoding=encoding, newline="")
    try:
        for row in csv.reader(text):
            if any(cell.strip() for cell in row):
                yield row
    except UnicodeDecodeError as exc:
        raise ValidationError({"file": [_("Save the CSV file as UTF-8.")]}) from exc
    finally:
        if isinstance(text, io.TextIOWrapper):
            text.detach()  # the caller closes the file


def _xlsx_rows(file, max_rows: int) -> Iterator[list[Any]]:
    """The non-empty rows of a workbook's first sheet, read one by one (openpyxl, read-only)."""
    _check_workbook_parts(file, max_rows)
    from openpyxl import load_workbook  # a second or so to import: only for a file that passed

    workbook = load_workbook(file, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # read the rows that are there, not the size the sheet records
        for row in sheet.iter_rows(max_row=_SHEET_MAX_ROW, max_col=MAX_COLUMNS, values_only=True):
            if any(c not in (None, "") for c in row):
                yield list(row)
    finally:
        workbook.close()


def _check_workbook_parts(file, max_rows: int) -> None:
    """Refuse a workbook whose parts unpack to more than unpacked_limit(max_rows), or with a large
    sheet that does not record its size; see the limits above. Leaves the file at its start."""
    try:
        archive = zipfile.ZipFile(file)
    except zipfile.BadZipFile as exc:
        raise ValidationError({"file": [_("The file is not an XLSX workbook.")]}) from exc
    with archive:
        parts = archive.infolist()
        unpacked = sum(part.file_size for part in parts)
        limit = unpacked_limit(max_rows)
        if unpacked > limit:
            raise ValidationError(
                {
                    "file": [
                        _(
                            "The workbook unpacks to %(size)s MB; a file of at most %(rows)s rows "
                            "may unpack to at most %(limit)s MB."
                        )
                        % {
                            "size": f"{unpacked / 2**20:,.1f}",
                            "rows": f"{max_rows:,}",
                            "limit": f"{limit / 2**20:,.1f}",
                        }
                    ]
                }
            )
        for part in parts:
            if part.file_size > SCAN_LIMIT and not _records_its_size(archive, part):
                raise ValidationError(
                    {
                        "file": [
                            _(
                                "The sheet does not record its size and is larger than %(limit)s MB: open the file "
                                "in Excel or WPS and save it again, or split it."
                            )
                            % {"limit": f"{SCAN_LIMIT / 2**20:,.0f}"}
                        ]
                    }
                )
    file.seek(0)


def _records_its_size(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> bool:
    """False for a worksheet part with no <dimension> before its rows (within its first 64 KB)."""
    with archive.open(part) as source:
        head = source.read(_PEEK_BYTES)
    # Only the first 64 KB, and element starts only: no entity in a part's head can make this big.
    parser = ElementTree.XMLPullParser(events=("start",))
    try:
        parser.feed(head)
        for position, (_event, element) in enumerate(parser.read_events()):
            tag = element.tag.rsplit("}", 1)[-1]
            if position == 0 and tag != "worksheet":
                return True  # not a sheet (shared strings, styles): only its size counts
            if tag == "dimension":
                return True
            if tag == "sheetData":
                return False
    except ElementTree.ParseError:
        return False
    return False


# --- converting values ----------------------------------------------------------------------


class _Lookups:
    """Divisions and people named in a batch, fetched in one query each."""

    def __init__(self, rows: list[Mapping[str, Any]]):
        self.divisions: dict[str, Division] = {}
        for division in Division.objects.all():
            self.divisions[division.code] = division
            self.divisions.setdefault(division.name, division)
        names = {
            str(row[f])
            for row in rows
            for f in ("handler", "clerk")
            if isinstance(row, Mapping) and isinstance(row.get(f), str | int)
        }
        self.users: dict[str, User] = {}
        by_name: dict[str, list[User]] = {}
        for user in User.objects.filter(Q(username__in=names) | Q(name__in=names)):
            self.users[user.username] = user
            by_name.setdefault(user.name, []).append(user)
        for name, people in by_name.items():
            if len(people) == 1:
                self.users.setdefault(name, people[0])


def _date(value: Any, source: str) -> dt.date:
    """A date value: strict YYYY-MM-DD from the API, a cell's spellings from a file (cases.dates)."""
    if source == Source.API:
        return dates.parse_iso_date(value)
    return dates.parse_spreadsheet_date(value)


def _choice(value: Any, choices: Iterable[str], labels: Mapping[str, str], source: str) -> str:
    if not isinstance(value, str):
        raise ValueError
    if value in choices:
        return value
    if source == Source.FILE and value.strip() in labels:
        return labels[value.strip()]
    raise ValueError


def convert_row(raw: Any, lookups: _Lookups, source: str) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Field values ready for the services from one incoming row, and the row's errors."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not isinstance(raw, Mapping):
        return {}, {"non_field_errors": [_("Each row must be an object of case fields.")]}
    for name in sorted(set(raw) - set(FIELDS)):
        fail(str(name), _("Unknown field."))
    for name in FIELDS:
        if name not in raw:
            continue
        value = raw[name]
        if isinstance(value, str) and "\x00" in value:
            fail(name, _("Null characters are not allowed."))
            continue
        try:
            if value is None:
                if name == "business_environment":
                    raise ValueError
                out[name] = None
            elif name in ("case_number", "external_id", "cause", "parties"):
                if isinstance(value, bool) or not isinstance(value, str | int):
                    raise ValueError
                if isinstance(value, int) and name != "external_id":
                    raise ValueError
                text = str(value).strip()
                if len(text) > MAX_LENGTHS[name]:
                    fail(name, _("At most %(max)d characters.") % {"max": MAX_LENGTHS[name]})
                    continue
                out[name] = case_numbers.normalise(text) if name == "case_number" else text
            elif name in ("filed_on", "closed_on"):
                out[name] = _date(value, source)
            elif name == "division":
                if not isinstance(value, str):
                    raise ValueError
                division = lookups.divisions.get(value.strip())
                if division is None:
                    fail(name, _("Unknown division “%(value)s”.") % {"value": value})
                    continue
                out[name] = division
            elif name in ("handler", "clerk"):
                if not isinstance(value, str):
                    raise ValueError
                person = lookups.users.get(value.strip())
                if person is None:
                    fail(name, _("Unknown person “%(value)s”.") % {"value": value})
                    continue
                out[name] = person
            elif name == "status":
                out[name] = _choice(value, CaseStatus.values, STATUS_LABELS, source)
            elif name == "procedure":
                out[name] = _choice(value, Procedure.values, PROCEDURE_LABELS, source)
            elif name == "closure_method":
                out[name] = "" if value == "" else _choice(value, ClosureMethod.values, CLOSURE_LABELS, source)
            elif name == "business_environment":
                if isinstance(value, bool):
                    out[name] = value
                elif source == Source.FILE and str(value).strip().lower() in TRUE_WORDS | FALSE_WORDS:
                    out[name] = str(value).strip().lower() in TRUE_WORDS
                else:
                    raise ValueError
        except (ValueError, TypeError):
            fail(name, _invalid_message(name))
    return out, errors


def _invalid_message(name: str) -> str:
    if name in ("filed_on", "closed_on"):
        return _("Enter a date as YYYY-MM-DD.")
    if name == "business_environment":
        return _("Enter true or false.")
    if name in ("status", "procedure", "closure_method"):
        return _("Not one of the allowed values.")
    return _("Enter text.")


def case_changes_from_api(validated: Mapping[str, Any]) -> dict[str, Any]:
    """Serializer data → service field values (null closure method → empty)."""
    data = dict(validated)
    if "closure_method" in data and data["closure_method"] is None:
        data["closure_method"] = ""
    if "case_number" in data:
        data["case_number"] = case_numbers.normalise(data["case_number"])
    return data


def complete_status_change(case: Case, changes: dict[str, Any]) -> dict[str, Any]:
    """Leaving the closed status clears the closing fields unless the caller set them."""
    if changes.get("status") in (CaseStatus.OPEN, CaseStatus.SUSPENDED) and case.status == CaseStatus.CLOSED:
        changes.setdefault("closed_on", None)
        changes.setdefault("closure_method", "")
    return changes


def _differs(case: Case, changes: Mapping[str, Any]) -> bool:
    for name, value in changes.items():
        if name in ("division", "handler", "clerk"):
            current = getattr(case, f"{name}_id")
            value = value.pk if value is not None else None
        else:
            current = getattr(case, name)
        if name == "closure_method":
            value, current = value or "", current or ""
        if name == "external_id":
            value, current = value or None, current or None
        if value != current:
            return True
    return False


# --- the upsert -----------------------------------------------------------------------------


def upsert_cases(
    actor: User | None,
    rows: list[Any],
    *,
    source: str = Source.API,
    dry_run: bool = False,
    court: Court | None = None,
    today: dt.date | None = None,
    enforce_permissions: bool = True,
) -> ImportReport:
    """Create, update or leave unchanged each row; see the module docstring.

    With dry_run, everything is validated and written inside a transaction that is then
    rolled back, so the preview is exactly what a real run would do.
    `enforce_permissions=False` is for the management command (run by the operator).
    """
    report = ImportReport(dry_run=dry_run)
    if len(rows) > MAX_ROWS:
        report.refused = _("At most %(max)s rows per batch; this one has %(count)s. Nothing was saved.") % {
            "max": f"{MAX_ROWS:,}",
            "count": f"{len(rows):,}",
        }
        return report
    today = today or timezone.localdate()
    court = court or Court.default()
    lookups = _Lookups(rows)
    converted = [convert_row(raw, lookups, source) for raw in rows]

    # Existing cases named by the batch, in one query.
    numbers = {data["case_number"] for data, _e in converted if data.get("case_number")}
    external_ids = {data["external_id"] for data, _e in converted if data.get("external_id")}
    by_number: dict[str, Case] = {}
    by_external: dict[str, Case] = {}
    if numbers or external_ids:
        existing = Case.objects.filter(Q(court=court, case_number__in=numbers) | Q(external_id__in=external_ids))
        if enforce_permissions and actor is not None:
            # A case the actor cannot see is, to them, not there: its row goes the way of a new
            # case, and nothing of the other case (its number, its id) is answered. Numbers and
            # external ids are keys, so registering one that exists is refused as for anyone.
            existing = visible_cases(actor, existing)
        for case in existing:
            if case.court_id == getattr(court, "id", None):
                by_number[case.case_number] = case
            if case.external_id:
                by_external[case.external_id] = case

    may_register = actor is None or not enforce_permissions or can_register_cases(actor)
    results: list[RowResult | None] = [None] * len(rows)
    new_rows: list[tuple[int, dict[str, Any]]] = []
    updates: list[tuple[int, Case, dict[str, Any]]] = []
    first_seen: dict[str, int] = {}
    for i, (data, errors) in enumerate(converted):
        number = data.get("case_number")
        display = number if number else (rows[i].get("case_number") if isinstance(rows[i], Mapping) else None)
        if display is not None and not isinstance(display, str):
            display = str(display)
        if errors:
            results[i] = RowResult(i, display, "error", errors)
            continue
        case, key_errors = _match(data, by_number, by_external)
        if key_errors:
            results[i] = RowResult(i, display, "error", key_errors)
            continue
        key = f"id:{case.pk}" if case else f"number:{number}"
        if key in first_seen or (data.get("external_id") and f"ext:{data['external_id']}" in first_seen):
            earlier = first_seen.get(key, first_seen.get(f"ext:{data.get('external_id')}"))
            results[i] = RowResult(
                i,
                display,
                "error",
                {"case_number": [_("The same case is already in row %(row)s of this batch.") % {"row": earlier + 1}]},
            )
            continue
        first_seen[key] = i
        if data.get("external_id"):
            first_seen[f"ext:{data['external_id']}"] = i
        if case is None:
            if not may_register:
                results[i] = RowResult(i, display, "error", {"non_field_errors": [_("You may not register cases.")]})
            elif not number:
                results[i] = RowResult(i, display, "error", {"case_number": [_("Enter the case number.")]})
            else:
                new_rows.append((i, data))
            continue
        display = case.case_number if not number else display
        if enforce_permissions and actor is not None and not can_edit_case(actor, case):
            results[i] = RowResult(i, display, "error", {"non_field_errors": [_("You may not change this case.")]})
            continue
        changes = complete_status_change(case, dict(data))
        if not _differs(case, changes):
            results[i] = RowResult(i, display, "unchanged", case_id=case.pk)
        else:
            updates.append((i, case, changes))

    with transaction.atomic():
        if new_rows:
            registered = services.register_cases(actor, [data for _i, data in new_rows], court=court, today=today)
            for (i, data), outcome in zip(new_rows, registered, strict=True):
                if isinstance(outcome, ValidationError):
                    results[i] = RowResult(i, data.get("case_number"), "error", _error_dict(outcome))
                else:
                    results[i] = RowResult(i, outcome.case_number, "created", case_id=outcome.pk)
        changed = services.change_cases(actor, [(case, changes) for _i, case, changes in updates], today=today)
        for (i, case, changes), outcome in zip(updates, changed, strict=True):
            number = changes.get("case_number") or case.case_number
            if isinstance(outcome, ValidationError):
                results[i] = RowResult(i, number, "error", _error_dict(outcome))
            else:
                results[i] = RowResult(i, number, "updated", case_id=case.pk)
        if dry_run:
            transaction.set_rollback(True)
    report.results = [r for r in results if r is not None]
    return report


def _match(
    data: Mapping[str, Any], by_number: dict[str, Case], by_external: dict[str, Case]
) -> tuple[Case | None, dict[str, list[str]]]:
    external_id = data.get("external_id")
    number = data.get("case_number")
    if external_id:
        case = by_external.get(external_id)
        if case is not None:
            return case, {}
        case = by_number.get(number) if number else None
        if case is not None and case.external_id:
            return None, {
                "external_id": [
                    _("Case %(number)s is registered with another external id.") % {"number": case.case_number}
                ]
            }
        return case, {}
    return (by_number.get(number) if number else None), {}


def _error_dict(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"non_field_errors": exc.messages}


def import_file(actor: User | None, file, filename: str, *, dry_run: bool = False, **kwargs) -> ImportReport:
    """read_file + upsert_cases for one batch: the web UI's import page."""
    rows = read_file(file, filename)
    return upsert_cases(actor, rows, source=Source.FILE, dry_run=dry_run, **kwargs)


# --- the import page's steps -------------------------------------------------------------------
#
# Upload → preview (a dry run of the same upsert) → import or cancel. The uploaded file waits in
# storage between the steps (cases.import_uploads), named by a `pending` dict {"path", "name"}
# that the page keeps in the session; the import or the cancel deletes it, and the daily cleanup
# deletes abandoned ones. The page parses its form, calls these and renders what they return.


class PreviewExpired(Exception):
    """The file to import is gone: never previewed, or deleted by the daily cleanup."""


def preview_upload(actor: User, upload, pending: Mapping[str, str] | None) -> tuple[ImportReport, dict[str, str]]:
    """Keep the upload and dry-run it; returns the preview and the new `pending` (the previous
    pending file, if any, is deleted). Raises ValidationError (and keeps nothing) when the file
    cannot be read."""
    stored = import_uploads.store_upload(actor, upload)
    try:
        with default_storage.open(stored, "rb") as fh:
            report = import_file(actor, fh, stored, dry_run=True)
    except ValidationError:
        import_uploads.discard_upload(stored)
        raise
    if pending:
        import_uploads.discard_upload(pending["path"])
    return report, {"path": stored, "name": upload.name}


def import_pending(actor: User, pending: Mapping[str, str] | None) -> ImportReport:
    """Import the previewed file, then delete it (whatever happens). Raises PreviewExpired when
    there is no file to import."""
    try:
        if not pending:
            raise FileNotFoundError
        fh = default_storage.open(pending["path"], "rb")
    except FileNotFoundError as exc:
        raise PreviewExpired from exc
    try:
        with fh:
            return import_file(actor, fh, pending["path"])
    finally:
        import_uploads.discard_upload(pending["path"])


def cancel_pending(pending: Mapping[str, str]) -> None:
    """Drop the previewed file: nothing was saved."""
    import_uploads.discard_upload(pending["path"])


def report_summary(report: ImportReport) -> list[tuple[str, str, int]]:
    """What the page shows of a report: (result, label, count) per result, and on each row its
    `label` and `error_list` of (field label, messages)."""
    labels = {"created": _("created"), "updated": _("updated"), "unchanged": _("unchanged"), "error": _("error")}
    for row in report.results:
        row.label = labels.get(row.result, row.result)
        row.error_list = [(field_label(f) if f != "non_field_errors" else "", e) for f, e in row.errors.items()]
    return [(key, labels[key], report.count(key)) for key in labels]
