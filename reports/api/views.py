"""REST API of the monthly bulletins: list, figures, items, publish, sign-off and exports.

Thin viewsets over reports.selectors, reports.services and reports.exports.
"""

from __future__ import annotations

import json

import django_filters as filters
from django.db.models import Prefetch
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cases.api.fields import DivisionCodeField
from cases.models import Case
from cases.permissions import visible_cases
from common.api import CappedPageNumberPagination, StrictQueryParamsMixin, parse_iso_date
from limits import selectors as limit_selectors

from .. import exports, selectors, services
from ..fonts import CJKFontMissing
from ..models import Bulletin, BulletinFigure, BulletinItem, BulletinSignOff, BulletinStatus
from ..periods import Period

# --- serializers ----------------------------------------------------------------------------


class BulletinSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api:bulletin-detail", help_text="API address of this bulletin."
    )
    items_url = serializers.HyperlinkedIdentityField(
        view_name="api:bulletin-items", help_text="API address of the bulletin's paginated items."
    )
    title = serializers.CharField(read_only=True, help_text="The issue as people cite it, e.g. 2025年第5期.")
    published_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="The tracking officer who published it."
    )
    publishing_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        help_text="Who last started publishing it (POST .../publish/); null if nobody has yet.",
    )

    class Meta:
        model = Bulletin
        fields = [
            "id",
            "url",
            "items_url",
            "period",
            "as_of",
            "status",
            "title",
            "issue_year",
            "issue_number",
            "built_at",
            "published_by",
            "published_at",
            "pdf_sha256",
            "publishing_by",
            "publishing_started_at",
            "publish_error",
        ]
        extra_kwargs = {
            "id": {"help_text": "Database id of the bulletin."},
            "period": {"help_text": "The month reported on, YYYY-MM."},
            "as_of": {"help_text": "Last day of the period: every figure is taken on it."},
            "status": {
                "help_text": "draft; publishing: POST .../publish/ was accepted and the PDF is being rendered in "
                "the background (poll this bulletin: it becomes published, or draft again with publish_error); "
                "or published."
            },
            "issue_year": {"help_text": "Year of publication; null for a draft."},
            "issue_number": {"help_text": "Running number within the issue year; null for a draft."},
            "built_at": {"help_text": "When the items and figures were last built."},
            "published_at": {"help_text": "When it was published; null for a draft."},
            "pdf_sha256": {"help_text": "SHA-256 of the published PDF; empty for a draft."},
            "publishing_started_at": {"help_text": "When publishing was last started; null if never."},
            "publish_error": {
                "help_text": "Why the last attempt to publish failed (the bulletin is a draft again and may be "
                "published again); empty otherwise."
            },
        }


class FigureSerializer(serializers.ModelSerializer):
    division = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="Division code; null for the court row."
    )
    handler = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="Handler's username; null for court and division rows."
    )
    clearance_ratio = serializers.FloatField(
        read_only=True, allow_null=True, help_text="结收比: closed ÷ received in the month; null without intake."
    )
    share_of_open = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Share of open cases that are over 6 months."
    )
    average_age_days = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Average age in days of the open cases."
    )
    average_disposition_days = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Average filing-to-closing days of cases closed in the month."
    )
    on_time_rate = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text="Statutory time limits: closed_on_time ÷ closed_limited (0–1); null when none closed.",
    )
    average_excluded_days = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text="Statutory time limits: excluded_days ÷ closed_limited; null when none closed.",
    )
    extension_rate = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text="Statutory time limits: extended ÷ closed_limited (0–1); null when none closed.",
    )

    class Meta:
        model = BulletinFigure
        fields = [
            "scope",
            "division",
            "division_name",
            "handler",
            "handler_name",
            "open_cases",
            "listed",
            "over_12m",
            "over_15m",
            "new_listed",
            "still_listed",
            "cleared",
            "listed_last_year",
            "received",
            "closed",
            "clearance_ratio",
            "share_of_open",
            "average_age_days",
            "average_disposition_days",
            "closed_limited",
            "closed_on_time",
            "excluded_days",
            "extended",
            "on_time_rate",
            "average_excluded_days",
            "extension_rate",
            "overdue",
            "hidden_flags",
        ]
        extra_kwargs = {
            "scope": {"help_text": "court, division or handler."},
            "division_name": {"help_text": "Division name as it stood on the bulletin's date."},
            "handler_name": {"help_text": "Handler name as it stood on the bulletin's date."},
            "open_cases": {"help_text": "Open cases on the bulletin's date."},
            "listed": {"help_text": "Cases over 6 months (in the bulletin)."},
            "over_12m": {"help_text": "Cases over 12 months."},
            "over_15m": {"help_text": "Cases over 15 months (key warnings)."},
            "new_listed": {"help_text": "Listed now, not in the previous bulletin."},
            "still_listed": {"help_text": "Listed now and in the previous bulletin."},
            "cleared": {"help_text": "In the previous bulletin, not listed now."},
            "listed_last_year": {"help_text": "Listed in the same month a year before."},
            "received": {"help_text": "Cases received in the month."},
            "closed": {"help_text": "Cases closed in the month."},
            "closed_limited": {"help_text": "Statutory time limits: cases closed in the month with a time limit."},
            "closed_on_time": {"help_text": "Of those, closed on or before their deadline."},
            "excluded_days": {"help_text": "Of those, the excluded days in total (counted up to each closing date)."},
            "extended": {"help_text": "Of those, cases with at least one approved extension."},
            "overdue": {"help_text": "Open on the bulletin's date with a time limit, past the deadline."},
            "hidden_flags": {
                "help_text": "Open on the bulletin's date with a time limit and a hidden-overrun flag running then."
            },
        }


class SignOffSerializer(serializers.ModelSerializer):
    division = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="Division code.")
    signed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, help_text="Who signed off.")

    class Meta:
        model = BulletinSignOff
        fields = ["division", "signed_by", "signed_at", "note"]
        extra_kwargs = {
            "signed_at": {"help_text": "When the division's part was signed off."},
            "note": {"help_text": "The head's note."},
        }


class BulletinDetailSerializer(BulletinSerializer):
    figures = FigureSerializer(many=True, read_only=True, help_text="Figures per court, division and handler.")
    sign_offs = SignOffSerializer(many=True, read_only=True, help_text="Division heads' sign-offs so far.")

    class Meta(BulletinSerializer.Meta):
        fields = BulletinSerializer.Meta.fields + ["figures", "sign_offs"]


class BulletinItemSerializer(serializers.ModelSerializer):
    case = serializers.HyperlinkedRelatedField(
        view_name="api:case-detail", read_only=True, help_text="API address of the case."
    )
    case_id = serializers.IntegerField(read_only=True, help_text="Database id of the case.")
    division = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="Division code.")
    handler = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="Handler's username when the bulletin was built."
    )

    class Meta:
        model = BulletinItem
        fields = [
            "id",
            "case",
            "case_id",
            "case_number",
            "cause",
            "filed_on",
            "age_days",
            "age_months",
            "over_12m",
            "key_warning",
            "division",
            "division_name",
            "handler",
            "handler_name",
            "suspended",
            "plan_status",
            "plan_reason",
            "plan_reason_text",
            "plan_expected_on",
            "newly_listed",
        ]
        extra_kwargs = {
            "id": {"help_text": "Database id of the item."},
            "case_number": {"help_text": "Case number (案号)."},
            "cause": {"help_text": "Cause of action."},
            "filed_on": {"help_text": "Filing date."},
            "age_days": {"help_text": "Days from filing to the bulletin's date."},
            "age_months": {"help_text": "Whole months from filing to the bulletin's date."},
            "over_12m": {"help_text": "Over 12 months."},
            "key_warning": {"help_text": "Over 15 months: a key early warning (重点预警)."},
            "division_name": {"help_text": "Division name then."},
            "handler_name": {"help_text": "Handler name then."},
            "suspended": {"help_text": "Suspended (中止) on the bulletin's date."},
            "plan_status": {"help_text": "Status of the latest clearance plan when built; empty if none."},
            "plan_reason": {"help_text": "Reason given in that plan."},
            "plan_reason_text": {"help_text": "Details of the reason."},
            "plan_expected_on": {"help_text": "Expected closing date in that plan."},
            "newly_listed": {"help_text": "Not in the previous bulletin."},
        }


class SignOffRequestSerializer(serializers.Serializer):
    division = DivisionCodeField(help_text="Code of the division whose part is signed off.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, help_text="Optional note.")


# --- filters --------------------------------------------------------------------------------


class BulletinFilter(filters.FilterSet):
    period = filters.CharFilter(method="filter_period", help_text="The month reported on, YYYY-MM.")
    status = filters.ChoiceFilter(choices=BulletinStatus.choices, help_text="draft, publishing or published.")

    class Meta:
        model = Bulletin
        fields: list[str] = []

    def filter_period(self, queryset, name, value):
        return queryset.filter(period=Period.parse(value))


class BulletinItemFilter(filters.FilterSet):
    division = filters.CharFilter(field_name="division__code", help_text="Division code.")
    key_warning = filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        help_text="true: key warnings (over 15 months) only.",
    )

    class Meta:
        model = BulletinItem
        fields: list[str] = []


# --- file answers ---------------------------------------------------------------------------


class _FileRenderer(renderers.BaseRenderer):
    """Lets content negotiation accept a file's media type; the file itself is an HttpResponse.
    Error answers (dicts) are written as JSON."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return json.dumps(data, ensure_ascii=False).encode()


class CSVRenderer(_FileRenderer):
    media_type = exports.CSV_CONTENT_TYPE.split(";")[0]
    format = "csv"


class XLSXRenderer(_FileRenderer):
    media_type = exports.XLSX_CONTENT_TYPE
    format = "xlsx"


class PDFRenderer(_FileRenderer):
    media_type = exports.PDF_CONTENT_TYPE
    format = "pdf"


def _attachment(response, bulletin: Bulletin, extension: str):
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(bulletin, extension)}"'
    return response


class PublishingConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "publishing"


class PdfUnavailable(exceptions.APIException):
    """The server cannot render PDFs now (no CJK font installed): the other formats still work."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "pdf_unavailable"


# --- viewset --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List bulletins (drafts only for the trial management office and leadership)"),
    retrieve=extend_schema(summary="One bulletin with its figures and sign-offs; items at items_url"),
)
class BulletinViewSet(
    StrictQueryParamsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = BulletinSerializer
    filterset_class = BulletinFilter
    pagination_class = CappedPageNumberPagination
    extra_query_params_by_action = {"items": ("page", "page_size", "division", "key_warning")}

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors of the file actions (404, 403 …) are JSON, whatever file type was asked for.
        if isinstance(response, Response) and isinstance(getattr(request, "accepted_renderer", None), _FileRenderer):
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = request.accepted_renderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    def get_queryset(self):
        qs = selectors.visible_bulletins(self.request.user).order_by("-period", "-id").select_related("publishing_by")
        if self.action in ("retrieve", "publish"):
            figures = BulletinFigure.objects.select_related("division", "handler")
            sign_offs = BulletinSignOff.objects.select_related("division", "signed_by")
            return qs.prefetch_related(Prefetch("figures", queryset=figures), Prefetch("sign_offs", queryset=sign_offs))
        return qs

    def get_serializer_class(self):
        return BulletinDetailSerializer if self.action in ("retrieve", "publish") else BulletinSerializer

    @extend_schema(
        summary="The bulletin's cases (over 6 months), by division and handler",
        responses=BulletinItemSerializer(many=True),
        parameters=[
            OpenApiParameter("division", OpenApiTypes.STR, description="Division code."),
            OpenApiParameter("key_warning", OpenApiTypes.BOOL, description="true: key warnings only."),
        ],
    )
    @action(detail=True, methods=["get"], serializer_class=BulletinItemSerializer)
    def items(self, request, pk=None):
        bulletin = self.get_object()
        queryset = bulletin.items.select_related("division", "handler").order_by(
            "division_name", "handler_name", "filed_on", "case_number", "id"
        )
        item_filter = BulletinItemFilter(request.query_params, queryset=queryset)
        if not item_filter.is_valid():
            raise exceptions.ValidationError(item_filter.errors)
        page = self.paginate_queryset(item_filter.qs)
        return self.get_paginated_response(BulletinItemSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        summary="Publish a draft (tracking officer): starts rendering its PDF in the background",
        description="Answers 202 with the bulletin in status publishing; poll the bulletin until it is "
        "published (numbered, with its PDF and SHA-256) or a draft again with publish_error. A second "
        "request while it is publishing, or for a published bulletin, is refused (400).",
        request=None,
        responses={202: BulletinDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        started = services.start_publishing(self.get_object(), request.user, trigger=f"api:{request.user.username}")
        bulletin = self.get_queryset().get(pk=started.bulletin.pk)
        data = BulletinDetailSerializer(bulletin, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Sign off a division's part of a published bulletin (its head)",
        request=SignOffRequestSerializer,
        responses=SignOffSerializer,
    )
    @action(detail=True, methods=["post"], url_path="sign-off")
    def sign_off(self, request, pk=None):
        bulletin = self.get_object()
        params = SignOffRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        sign_off = services.sign_off_bulletin(
            bulletin, params.validated_data["division"], request.user, note=params.validated_data.get("note", "")
        )
        return Response(SignOffSerializer(sign_off).data)

    @extend_schema(
        summary="The bulletin's list as CSV (UTF-8 with BOM)",
        responses={(200, CSVRenderer.media_type): OpenApiResponse(OpenApiTypes.BINARY, description="CSV file.")},
    )
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, CSVRenderer], url_path="csv")
    def export_csv(self, request, pk=None):
        bulletin = self.get_object()
        response = StreamingHttpResponse(exports.bulletin_csv(bulletin), content_type=exports.CSV_CONTENT_TYPE)
        return _attachment(response, bulletin, "csv")

    @extend_schema(
        summary="The bulletin's figures (court, divisions, handlers, time limits included) as CSV (UTF-8 with BOM)",
        responses={(200, CSVRenderer.media_type): OpenApiResponse(OpenApiTypes.BINARY, description="CSV file.")},
    )
    @action(
        detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, CSVRenderer], url_path="figures-csv"
    )
    def export_figures_csv(self, request, pk=None):
        bulletin = self.get_object()
        response = StreamingHttpResponse(exports.bulletin_figures_csv(bulletin), content_type=exports.CSV_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{exports.figures_filename(bulletin)}"'
        return response

    @extend_schema(
        summary="The bulletin as an XLSX workbook",
        responses={(200, XLSXRenderer.media_type): OpenApiResponse(OpenApiTypes.BINARY, description="XLSX file.")},
    )
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, XLSXRenderer], url_path="xlsx")
    def export_xlsx(self, request, pk=None):
        bulletin = self.get_object()
        response = HttpResponse(exports.bulletin_xlsx(bulletin), content_type=exports.XLSX_CONTENT_TYPE)
        return _attachment(response, bulletin, "xlsx")

    @extend_schema(
        summary="The bulletin as PDF: the stored document of record once published",
        responses={
            (200, PDFRenderer.media_type): OpenApiResponse(OpenApiTypes.BINARY, description="PDF file."),
            409: OpenApiResponse(
                description="No PDF yet: the bulletin is being published, or it is a draft of more cases than "
                "BULLETIN_DRAFT_PDF_MAX_CASES (default 500), whose PDF is made only when it is published."
            ),
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, PDFRenderer], url_path="pdf")
    def export_pdf(self, request, pk=None):
        try:
            return exports.bulletin_pdf_download(self.get_object(), language=get_language())
        except exports.PdfRefused as exc:
            raise PublishingConflict({"status": [str(exc)]}) from exc
        except CJKFontMissing as exc:
            raise PdfUnavailable({"format": [str(exc)]}) from exc


# --- live time-limit figures ----------------------------------------------------------------

GROUP_BY_CHOICES = ("court", "division", "handler")


class LimitFigureSerializer(serializers.Serializer):
    division = serializers.CharField(allow_null=True, help_text="Division code; null unless group_by=division.")
    division_name = serializers.CharField(help_text="Division name; empty unless group_by=division.")
    handler = serializers.CharField(
        allow_null=True, help_text="Handler's username; null unless group_by=handler (and for cases with no handler)."
    )
    handler_name = serializers.CharField(help_text="Handler's name; empty unless group_by=handler.")
    closed = serializers.IntegerField(help_text="Cases closed from start to end (inclusive) with a time limit.")
    closed_on_time = serializers.IntegerField(help_text="Of those, closed on or before their deadline.")
    excluded_days = serializers.IntegerField(
        help_text="Of those, the excluded days in total (counted up to each closing date)."
    )
    extended = serializers.IntegerField(help_text="Of those, cases with at least one approved extension.")
    on_time_rate = serializers.FloatField(
        allow_null=True, help_text="closed_on_time ÷ closed (0–1); null when none closed."
    )
    average_excluded_days = serializers.FloatField(
        allow_null=True, help_text="excluded_days ÷ closed; null when none closed."
    )
    extension_rate = serializers.FloatField(
        allow_null=True, help_text="extended ÷ closed (0–1); null when none closed."
    )
    overdue = serializers.IntegerField(help_text="Cases open on end with a time limit, past their deadline.")
    hidden_flags = serializers.IntegerField(
        help_text="Cases open on end with a time limit and a hidden-overrun flag running on that day."
    )


class LimitFiguresSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="First day of the period (closings counted from it).")
    end = serializers.DateField(help_text="Last day of the period; open cases are counted on it.")
    group_by = serializers.ChoiceField(choices=GROUP_BY_CHOICES, help_text="court, division or handler.")
    results = LimitFigureSerializer(
        many=True, help_text="One row for the court, or one per division / handler with cases in scope."
    )


LIMIT_FIGURES = (
    "closed",
    "closed_on_time",
    "excluded_days",
    "extended",
    "on_time_rate",
    "average_excluded_days",
    "extension_rate",
    "overdue",
    "hidden_flags",
)


def limit_figure_rows(rows: list[dict], group_by: str) -> list[dict]:
    """limit_figures rows in the API's shape: the group named by division code or username."""
    out = []
    for row in rows:
        named = {"division": None, "division_name": "", "handler": None, "handler_name": ""}
        if group_by == "division":
            named.update(division=row["code"], division_name=row["name"])
        elif group_by == "handler" and row["handler_id"] is not None:
            named.update(handler=row["code"], handler_name=row["name"] or row["code"])
        out.append({**named, **{name: row[name] for name in LIMIT_FIGURES}})
    return out


class _OneObjectSchema(AutoSchema):
    """The list route answers one object (the period and its rows), not an array."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


@extend_schema_view(
    list=extend_schema(
        summary="Time-limit figures for a period, computed live over the cases the caller may see",
        parameters=[
            OpenApiParameter(
                "start", OpenApiTypes.DATE, required=True, description="First day of the period, YYYY-MM-DD."
            ),
            OpenApiParameter(
                "end",
                OpenApiTypes.DATE,
                required=True,
                description="Last day of the period, YYYY-MM-DD, not before start.",
            ),
            OpenApiParameter(
                "group_by",
                OpenApiTypes.STR,
                enum=list(GROUP_BY_CHOICES),
                description="court (default): one row; division or handler: one row each.",
            ),
        ],
        responses=LimitFiguresSerializer,
    )
)
class LimitFiguresViewSet(StrictQueryParamsMixin, viewsets.GenericViewSet):
    """On-time closure rate, average excluded days, extension rate, overruns and hidden-overrun
    flags, live, over the cases the caller may see."""

    schema = _OneObjectSchema()
    queryset = Case.objects.none()  # for the schema generator only: the figures come from limit_figures
    pagination_class = None
    serializer_class = LimitFiguresSerializer
    extra_query_params = ("start", "end", "group_by")

    def list(self, request):
        params = request.query_params
        errors: dict[str, list[str]] = {}
        dates = {}
        for name in ("start", "end"):
            raw = params.get(name, "")
            if raw == "":
                errors[name] = [_("This field is required.")]
                continue
            try:
                dates[name] = parse_iso_date(raw, name)
            except exceptions.ValidationError as exc:
                errors.update(exc.detail)
        if len(dates) == 2 and dates["start"] > dates["end"]:
            errors["end"] = [_("The end date cannot be before the start date.")]
        group_by = params.get("group_by") or "court"
        if group_by not in GROUP_BY_CHOICES:
            errors["group_by"] = [_("Choose court, division or handler.")]
        if errors:
            raise exceptions.ValidationError(errors)
        rows = limit_selectors.limit_figures(
            dates["start"],
            dates["end"],
            group_by=None if group_by == "court" else group_by,
            queryset=visible_cases(request.user),
        )
        data = {
            "start": dates["start"],
            "end": dates["end"],
            "group_by": group_by,
            "results": limit_figure_rows(rows, group_by),
        }
        return Response(LimitFiguresSerializer(data).data)


def register(router) -> None:
    """Add this app's viewsets to the /api/v1/ router."""
    router.register("bulletins", BulletinViewSet, basename="bulletin")
    router.register("limit-figures", LimitFiguresViewSet, basename="limit-figures")
