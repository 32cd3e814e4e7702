"""What every CourtFlow API endpoint shares: error shape, strict query parameters,
pagination with capped counts, a keyset cursor for full syncs, token throttling and a
JSON parser that honours DATA_UPLOAD_MAX_MEMORY_SIZE.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections import OrderedDict

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, pagination, parsers, renderers, serializers, status, throttling
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import exception_handler as drf_exception_handler

from . import dates

# --- errors -------------------------------------------------------------------------------


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "payload_too_large"


def django_errors_to_drf(exc: DjangoValidationError) -> exceptions.ValidationError:
    """Services raise Django's ValidationError keyed by field; the API answers DRF's shape."""
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(exc.message_dict)
    return exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: exc.messages})


def exception_handler(exc, context):
    """The one place where service errors become HTTP answers (REST_FRAMEWORK EXCEPTION_HANDLER).

    Every error answer is JSON, whatever format the endpoint or the client chose (the schema's
    YAML, a CSV or PDF download, the browsable API's HTML)."""
    if isinstance(exc, DjangoValidationError):
        exc = django_errors_to_drf(exc)
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()  # not get_object_or_404's "No Bulletin matches the given query."
    response = drf_exception_handler(exc, context)
    request = context.get("request")
    if response is not None and request is not None:
        request.accepted_renderer = renderers.JSONRenderer()
        request.accepted_media_type = renderers.JSONRenderer.media_type
    return response


# The deepest JSON any endpoint reads is a bulk batch: an array of objects (2 levels).
MAX_JSON_DEPTH = 32


def json_depth(value) -> int:
    """Nesting depth of parsed JSON (a scalar is 0, [] or {} is 1), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


class SizeLimitedJSONParser(parsers.JSONParser):
    """DRF reads the body stream itself, bypassing Django's DATA_UPLOAD_MAX_MEMORY_SIZE check:
    refuse an oversized body here (413) before reading it. JSON nested deeper than
    MAX_JSON_DEPTH is refused too (400): `[` × 100,000 would exhaust Python's recursion limit
    in the decoder, and a few thousand levels would in any code that walks the value."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = (parser_context or {}).get("request")
        if limit is not None and request is not None:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                raise PayloadTooLarge()
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            data = None
        else:
            if json_depth(data) <= MAX_JSON_DEPTH:
                return data
        raise exceptions.ParseError(
            _("JSON parse error - nested deeper than %(depth)d levels.") % {"depth": MAX_JSON_DEPTH}
        )


# --- query parameters ---------------------------------------------------------------------


class StrictQueryParamsMixin:
    """Answer 400 naming every query parameter the endpoint does not know.

    A typo such as `?divison=civil-1` would otherwise return every case, silently.
    Allowed: the filterset's filters, the pagination and ordering parameters, and
    `extra_query_params` of the view (per action via `extra_query_params_by_action`).
    """

    extra_query_params: tuple[str, ...] = ()
    extra_query_params_by_action: dict[str, tuple[str, ...]] = {}
    # DRF's format suffix (?format=json) is always allowed.
    always_allowed = ("format",)

    def allowed_query_params(self) -> set[str]:
        allowed = set(self.always_allowed) | set(self.extra_query_params)
        allowed |= set(self.extra_query_params_by_action.get(self.action, ()))
        if self.action in ("list",) or self.action in getattr(self, "filtered_actions", ()):
            filterset_class = getattr(self, "filterset_class", None)
            if filterset_class is not None:
                allowed |= set(filterset_class.base_filters)
            paginator = self.paginator
            if paginator is not None:
                for name in ("page_query_param", "page_size_query_param", "cursor_query_param"):
                    value = getattr(paginator, name, None)
                    if value:
                        allowed.add(value)
        return allowed

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if getattr(self, request.method.lower(), None) is None:
            return  # a method the endpoint does not serve (TRACE, CONNECT): DRF answers 405
        unknown = sorted(set(request.query_params) - self.allowed_query_params())
        if unknown:
            raise exceptions.ValidationError({name: [_("Unknown query parameter.")] for name in unknown})

    def filter_queryset(self, queryset):
        # Filters apply to lists only; get_object() must not be narrowed by list filters.
        if self.action == "list" or self.action in getattr(self, "filtered_actions", ()):
            return super().filter_queryset(queryset)
        return queryset


_AS_OF = "_courtflow_as_of"


def parse_as_of(request) -> dt.date:
    """`?as_of=YYYY-MM-DD`, default today in the court's time zone.

    Resolved once per request and kept on it: the queryset, the filters and the serializers of
    one answer read the same day (today's too, should the request run past midnight)."""
    as_of = getattr(request, _AS_OF, None)
    if as_of is None:
        raw = request.query_params.get("as_of")
        as_of = timezone.localdate() if raw in (None, "") else parse_iso_date(raw, "as_of")
        setattr(request, _AS_OF, as_of)
    return as_of


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_iso_date(raw: str, field: str) -> dt.date:
    """A strict YYYY-MM-DD date within cases.dates' reading range, or a 400 naming `field`."""
    try:
        if not _ISO_DATE.match(raw):
            raise ValueError(raw)
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise exceptions.ValidationError({field: [_("Enter a date as YYYY-MM-DD.")]}) from None
    if not dates.in_read_range(day):
        raise exceptions.ValidationError({field: [dates.read_range_message()]})
    return day


# --- pagination ---------------------------------------------------------------------------


class _CappedPaginator(Paginator):
    """Counts at most `cap` rows (SELECT count(*) FROM (… LIMIT cap)), so the count of a
    million-row list costs what a page does."""

    def __init__(self, *args, cap: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.cap = cap

    @cached_property
    def count(self) -> int:
        # Only the primary key and no ordering: computed columns (ageing, deadlines) would
        # otherwise be evaluated for every counted row.
        return self.object_list.order_by().values("pk")[: self.cap].count()


_WHOLE_NUMBER = re.compile(r"^[0-9]{1,10}$")


class StrictPageSizeMixin:
    """`?page_size=`: a whole number from 1 to `max_page_size` (default `page_size`), or a 400
    naming the parameter. Both paginations read it here."""

    page_size: int
    page_size_query_param: str
    max_page_size: int

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return self.page_size
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if not 1 <= value <= self.max_page_size:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        _("Enter a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
                    ]
                }
            )
        return value


class CappedPageNumberPagination(StrictPageSizeMixin, pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    # page × page_size bounds the SQL LIMIT and OFFSET: unbounded, a 22-digit page overflows bigint.
    # A million pages of 50 is far beyond any court's register; full syncs use the export's cursor.
    max_page = 1_000_000
    count_cap = 10_000
    page_size_query_description = gettext_lazy("Rows per page, 1 to 500 (default 50).")

    def get_page_number(self, request, paginator=None) -> int:
        """`?page=`: a whole number from 1 to max_page (default 1), or a 400 naming `page`.
        A page within bounds past the last one is a 404, as in DRF."""
        raw = request.query_params.get(self.page_query_param)
        if raw in (None, ""):
            return 1
        if _WHOLE_NUMBER.match(raw) and 1 <= int(raw) <= self.max_page:
            return int(raw)
        raise exceptions.ValidationError(
            {self.page_query_param: [_("Enter a whole number from 1 to %(max)d.") % {"max": self.max_page}]}
        )

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["description"] = f"Page number, 1 to {self.max_page:,} (default 1)."
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page}
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        page_size = self.get_page_size(request)
        page_number = self.get_page_number(request)
        # Count far enough to know whether the requested page and one more row exist.
        cap = max(self.count_cap, page_number * page_size + 1)
        paginator = _CappedPaginator(queryset, page_size, cap=cap)
        self.count_is_exact = paginator.count < cap
        try:
            self.page = paginator.page(page_number)
        except Exception:  # InvalidPage / EmptyPage
            raise exceptions.NotFound(_("Invalid page.")) from None
        return list(self.page)

    def get_paginated_response(self, data):
        return Response(
            OrderedDict(
                [
                    ("count", self.page.paginator.count),
                    ("count_is_exact", self.count_is_exact),
                    ("next", self.get_next_link()),
                    ("previous", self.get_previous_link()),
                    ("results", data),
                ]
            )
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "count_is_exact", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "description": (
                        f"Number of matching rows, counted exactly up to {self.count_cap:,} "
                        "(or to the requested page plus one row, whichever is larger). Above that the count "
                        "is capped and count_is_exact is false; use /api/v1/cases/export/ for full syncs."
                    ),
                },
                "count_is_exact": {
                    "type": "boolean",
                    "description": "False when the count was capped (there are at least `count` rows).",
                },
                "next": {"type": "string", "nullable": True, "format": "uri", "description": "Next page."},
                "previous": {"type": "string", "nullable": True, "format": "uri", "description": "Previous page."},
                "results": {**schema, "description": "The rows of this page."},
            },
        }


class UpdatedAtCursorPagination(StrictPageSizeMixin, pagination.BasePagination):
    """Keyset pagination over (updated_at, id), for full and incremental syncs.

    Unlike DRF's CursorPagination (one ordering field plus an offset within ties), the cursor
    holds both keys, so a job that moved 100,000 cases to the same timestamp does not make
    each page rescan its ties.
    """

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    page_size = 500
    max_page_size = 1000

    def _decode(self, raw: str) -> tuple[dt.datetime, int]:
        try:
            text = base64.urlsafe_b64decode(raw.encode("ascii") + b"==").decode("ascii")
            stamp, pk = text.rsplit("|", 1)
            when = parse_datetime(stamp)
            if when is None or timezone.is_naive(when):
                raise ValueError
            when = dates.moment_in_utc(when)
            if when is None:
                raise ValueError
            return when, int(pk)
        except (ValueError, UnicodeError):
            raise exceptions.ValidationError({self.cursor_query_param: [_("Invalid cursor.")]}) from None

    @staticmethod
    def _encode(when: dt.datetime, pk: int) -> str:
        return base64.urlsafe_b64encode(f"{when.isoformat()}|{pk}".encode("ascii")).decode("ascii").rstrip("=")

    def paginate_queryset(self, queryset, request, view=None):
        from django.db.models import Q

        self.request = request
        size = self.get_page_size(request)
        raw = request.query_params.get(self.cursor_query_param)
        queryset = queryset.order_by("updated_at", "id")
        if raw:
            when, pk = self._decode(raw)
            queryset = queryset.filter(Q(updated_at__gt=when) | Q(updated_at=when, id__gt=pk))
        rows = list(queryset[: size + 1])
        self.has_next = len(rows) > size
        rows = rows[:size]
        self.last = (rows[-1].updated_at, rows[-1].pk) if rows else None
        return rows

    def get_next_link(self) -> str | None:
        if not self.has_next or self.last is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, self._encode(*self.last))

    def get_paginated_response(self, data):
        url = self.request.build_absolute_uri()
        resume = replace_query_param(url, self.cursor_query_param, self._encode(*self.last)) if self.last else url
        return Response(
            OrderedDict(
                [
                    ("next", self.get_next_link()),
                    ("resume", resume),
                    ("results", data),
                ]
            )
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page; null when this page reaches the end.",
                },
                "resume": {
                    "type": "string",
                    "format": "uri",
                    "description": (
                        "Where to continue later: after the last row of this page, even when it is the end "
                        "(store it and call it on the next sync to get only what changed since)."
                    ),
                },
                "results": {**schema, "description": "The rows of this page."},
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque position from a previous `next` or `resume` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page, 1 to {self.max_page_size} (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]


# --- throttling ---------------------------------------------------------------------------


class TokenRateThrottle(throttling.UserRateThrottle):
    """Throttle token-authenticated integrations (browser sessions are people, not scripts).

    The rate is REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"], e.g. "3000/minute";
    read on each request so settings overrides take effect.
    """

    scope = "token"

    def get_rate(self):
        rates = api_settings.user_settings.get("DEFAULT_THROTTLE_RATES", {}) if api_settings.user_settings else {}
        return rates.get(self.scope)

    def allow_request(self, request, view):
        if not isinstance(request.auth, Token):
            return True
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


# --- serializer helpers -------------------------------------------------------------------


class IsoDateField(serializers.DateField):
    """A date sent as YYYY-MM-DD only (common.dates.parse_iso_date): `2024-3-1`, full-width
    digits, `20240301`, week dates and datetimes are refused with a message naming the field.
    Whether the date is allowed is the services' business (cases/dates.py)."""

    default_error_messages = {"invalid": dates.ISO_MESSAGE}

    def to_internal_value(self, value):
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        try:
            return dates.parse_iso_date(value)
        except ValueError:
            self.fail("invalid")


class FastIdentityUrlField(serializers.HyperlinkedIdentityField):
    """HyperlinkedIdentityField that reverses the route once per request and fills in each id:
    reversing for every row of a 500-case page costs more than serializing the rest of it."""

    _PLACEHOLDER = 987654321

    def get_url(self, obj, view_name, request, format):
        if getattr(obj, "pk", None) in (None, ""):
            return None
        cache = self.context.setdefault("_url_prefixes", {})
        key = (view_name, format)
        if key not in cache:
            template = self.reverse(view_name, kwargs={"pk": self._PLACEHOLDER}, request=request, format=format)
            cache[key] = template.split(str(self._PLACEHOLDER))
        head, tail = cache[key]
        return f"{head}{obj.pk}{tail}"
