"""Edge input for the schemathesis runs: a generated request with one part replaced by a value
that is well formed but extreme. schemathesis seldom generates these by itself: a 100,000-deep
JSON array, a 22-digit page number, a date at either end of the calendar, a UTC offset of 23:59,
a newline as a path segment, an HTTP method the endpoint does not serve.

`edits_for(operation)` names the edges that apply to an operation, `edge_strategy(operation, edit)`
draws generated requests with one of them applied, and `check_edge_answer` holds what every such
answer must be besides the schema's own checks.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from schemathesis import GenerationMode
from schemathesis.core import NOT_SET

HUGE_NUMBER = "9999999999999999999999"  # past PostgreSQL's bigint
CALENDAR_ENDS = ("0001-01-01", "9999-12-31")
EXTREME_MOMENTS = (
    "2026-01-01T23:59:59-23:59",  # beyond PostgreSQL's ±15:59, within Python's ±23:59
    "2026-01-01T00:00:00+23:59",
    "9999-12-31T23:59:59-23:59",  # past the calendar's end once in UTC
    "0001-01-01T00:00:00+23:59",
)
DEEP_JSON = (b"[" * 100_000, b'{"a":' * 2_000 + b"1" + b"}" * 2_000)
UNSERVED_METHOD = "unserved method"

Edit = Callable[[object], None]


def _set_query(**values: str) -> Edit:
    def edit(case) -> None:
        case.query = {**(case.query or {}), **values}

    return edit


def _set_body(raw: bytes) -> Edit:
    def edit(case) -> None:
        case.body = raw
        case.media_type = "application/json"

    return edit


def _set_path_parameter(name: str) -> Edit:
    def edit(case) -> None:
        case.path_parameters = {**(case.path_parameters or {}), name: "\n"}

    return edit


def _unserved_method(case) -> None:
    case.method = "TRACE"
    case.body = NOT_SET


def _cursor(stamp: str) -> str:
    return base64.urlsafe_b64encode(f"{stamp}|1".encode()).decode().rstrip("=")


def edits_for(operation) -> list[tuple[str, Edit]]:
    """Every edge that applies to `operation`, by the parameters and body it declares."""
    params = {p.name: p.definition.get("schema", {}) for p in operation.query}
    edits: list[tuple[str, Edit]] = []
    for name, schema in params.items():
        if name in ("page", "page_size"):
            edits.append((f"{name}={HUGE_NUMBER}", _set_query(**{name: HUGE_NUMBER})))
        elif name == "cursor":
            for stamp in ("2026-01-01T00:00:00-23:59", "9999-12-31T23:59:59-23:59"):
                edits.append((f"cursor at {stamp}", _set_query(cursor=_cursor(stamp))))
        elif schema.get("format") == "date":
            for day in CALENDAR_ENDS:
                edits.append((f"{name}={day}", _set_query(**{name: day})))
                if name == "as_of" and "aging_level" in params:
                    for level in ("over_6m", "approaching_15m"):
                        edits.append((f"as_of={day}&aging_level={level}", _set_query(as_of=day, aging_level=level)))
        elif schema.get("format") == "date-time" or name == "updated_since":
            for moment in EXTREME_MOMENTS:
                edits.append((f"{name}={moment}", _set_query(**{name: moment})))
    if any(body.media_type == "application/json" for body in operation.body):
        for raw in DEEP_JSON:
            edits.append((f"JSON nested {raw.count(raw[:1])} deep", _set_body(raw)))
    for parameter in operation.path_parameters:
        edits.append((f"newline as {parameter.name}", _set_path_parameter(parameter.name)))
    edits.append((UNSERVED_METHOD, _unserved_method))
    return edits


def edge_strategy(operation, edit: Edit):
    """A generated valid request of `operation` with `edit` applied."""

    def apply(case):
        edit(case)
        return case

    return operation.as_strategy(generation_mode=GenerationMode.POSITIVE).map(apply)


def edge_kind(name: str) -> str:
    """ "as_of=0001-01-01&aging_level=over_6m" → "as_of&aging_level"; "cursor at …" → "cursor"."""
    return "&".join(part.split("=")[0] for part in name.split(" at ")[0].split("&"))


def check_edge_answer(name: str, response) -> None:
    """No edge is a 5xx or an HTML page; an unserved method is a 405 with Allow."""
    assert response.status_code < 500, f"{name}: {response.status_code}"
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith("application/json"), f"{name}: {response.status_code} {content_type}"
    if name == UNSERVED_METHOD:
        assert response.status_code == 405, f"{name}: {response.status_code} {response.text[:200]}"
        assert response.headers.get("allow"), f"{name}: 405 without Allow"
