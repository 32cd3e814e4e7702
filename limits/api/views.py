"""Statutory time limits through the API: a case's excluded periods and extensions.

Thin views over cases.limits_services (every rule and validation lives there) and
cases.permissions. Reads follow `visible_cases` (others are 404); writes are refused with 403
to whoever may not make them.

    /api/v1/cases/{id}/excluded-periods/     GET list, POST record
    /api/v1/excluded-periods/{id}/           GET, PATCH correct
    /api/v1/excluded-periods/{id}/end/       POST end a running period
    /api/v1/cases/{id}/extensions/           GET list, POST request
    /api/v1/extensions/{id}/                 GET
    /api/v1/extensions/{id}/decide/          POST approve or refuse
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cases.models import Case
from cases.permissions import can_decide_extension, can_record_periods, can_request_extension, visible_cases
from common.api import CappedPageNumberPagination, IsoDateField, StrictQueryParamsMixin
from limits import services as limits_services
from limits.models import ExcludedPeriod, ExclusionReason, Extension, ExtensionStatus, LimitUnit

# --- serializers ----------------------------------------------------------------------------


@extend_schema_field({"type": "string", "nullable": True})
class Username(serializers.SlugRelatedField):
    """A person by username, read-only (null when nobody, e.g. a job, did it)."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="username", read_only=True, **kwargs)


@extend_schema_field({"type": "integer", "nullable": True})
class VisibleCaseField(serializers.PrimaryKeyRelatedField):
    """A case by id, among the cases the caller may see."""

    def get_queryset(self):
        request = self.context.get("request")
        return visible_cases(request.user) if request is not None else Case.objects.none()


class ExcludedPeriodSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True, help_text="Id of the excluded period.")
    case = serializers.IntegerField(source="case_id", read_only=True, help_text="Id of the case.")
    reason_code = serializers.ChoiceField(
        choices=ExclusionReason.choices,
        help_text="Why the period is not counted: public_notice (公告), appraisal (鉴定), audit_valuation, "
        "jurisdiction_objection, suspension (中止), settlement (civil cases only), deferred_enforcement, auction.",
    )
    start = IsoDateField(
        help_text="First day not counted (YYYY-MM-DD), not before the filing date, not after today. Periods of the "
        "same kind may not overlap."
    )
    end = IsoDateField(
        required=False,
        allow_null=True,
        help_text="Last day not counted (YYYY-MM-DD), not before start, not after today; null while the period "
        "runs (a running period counts up to the as-of date). Required for a closed case.",
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Explanation (reasons without text are flagged)."
    )
    document_ref = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=200,
        help_text="Reference of the supporting document (ruling, notice …).",
    )
    awaited_case = VisibleCaseField(
        required=False,
        allow_null=True,
        default=None,
        help_text="For a suspension waiting for another case: that case's id; closing it resumes this one.",
    )
    recorded_by = Username(help_text="Username of who recorded the period.")
    recorded_at = serializers.DateTimeField(read_only=True, help_text="When the period was recorded.")
    reviewed_on = serializers.DateField(
        read_only=True, allow_null=True, help_text="When a running suspension was last reviewed (null if never)."
    )


class ExcludedPeriodChangeSerializer(ExcludedPeriodSerializer):
    """PATCH: any of the writable fields; unsent fields keep their value."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            if not field.read_only:
                field.required = False
                field.default = serializers.empty
        return fields


class EndPeriodSerializer(serializers.Serializer):
    end = IsoDateField(help_text="Last day not counted (YYYY-MM-DD), not before the period's start, not after today.")


class ExtensionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True, help_text="Id of the extension.")
    case = serializers.IntegerField(source="case_id", read_only=True, help_text="Id of the case.")
    step = serializers.IntegerField(
        read_only=True, help_text="1 for the first extension, 2 for the second … (set by the server)."
    )
    length = serializers.IntegerField(
        min_value=1,
        max_value=32767,
        help_text="How long to extend, in `unit`; at most the legal maximum of this step for the procedure.",
    )
    unit = serializers.ChoiceField(
        choices=LimitUnit.choices, default=LimitUnit.MONTHS, help_text="months (clipped to month ends) or days."
    )
    reason = serializers.CharField(help_text="Why the extension is needed (required).")
    requested_on = IsoDateField(
        required=False,
        help_text="Date of the request (YYYY-MM-DD), not before filing, not after today; default today in "
        "Asia/Shanghai.",
    )
    document_ref = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200, help_text="Reference of the request document."
    )
    status = serializers.ChoiceField(
        choices=ExtensionStatus.choices, read_only=True, help_text="requested, approved or refused."
    )
    late_request = serializers.BooleanField(
        read_only=True, help_text="Requested later than the rule's lead days (10, enforcement 5) before the deadline."
    )
    requested_by = Username(help_text="Username of who requested it.")
    decided_by = Username(help_text="Username of who decided or recorded the decision.")
    by_higher_court = serializers.BooleanField(read_only=True, help_text="Decided by a higher court (recorded here).")
    decided_on = serializers.DateField(
        read_only=True, allow_null=True, help_text="Date of the decision (null while pending)."
    )


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=[("approve", "approve"), ("refuse", "refuse")], help_text="approve or refuse the pending request."
    )
    by_higher_court = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Record a higher court's decision (steps the president may not decide; tracking officer or "
        "president).",
    )
    decided_on = IsoDateField(
        required=False,
        help_text="Date of the decision (YYYY-MM-DD), not before the request, not after today; default today.",
    )
    document_ref = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200, help_text="Reference of the decision document."
    )


# --- views ----------------------------------------------------------------------------------


def _writable(allowed: bool) -> None:
    if not allowed:
        raise exceptions.PermissionDenied()


class _Base(StrictQueryParamsMixin, viewsets.GenericViewSet):
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = CappedPageNumberPagination
    filterset_class = None

    def visible_case(self) -> Case:
        return get_object_or_404(visible_cases(self.request.user).select_related("court"), pk=self.kwargs["case_pk"])


CASE_ID = OpenApiParameter("case_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="Id of the case.")
PERIODS = ExcludedPeriod.objects.select_related("case__court", "recorded_by")
EXTENSIONS = Extension.objects.select_related("case__court", "requested_by", "decided_by")


class CaseExcludedPeriodViewSet(_Base):
    serializer_class = ExcludedPeriodSerializer

    def get_queryset(self):
        return PERIODS.filter(case__in=visible_cases(self.request.user)).order_by("start", "id")

    @extend_schema(summary="Excluded periods of a case (扣除审限), oldest first", parameters=[CASE_ID])
    def list(self, request, case_pk=None):
        case = self.visible_case()
        page = self.paginate_queryset(self.get_queryset().filter(case=case))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="Record an excluded period (whoever may edit the case); the deadline moves at once",
        parameters=[CASE_ID],
    )
    def create(self, request, case_pk=None):
        case = self.visible_case()
        _writable(can_record_periods(request.user, case))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        period = limits_services.record_period(request.user, case, **serializer.validated_data)
        return Response(self.get_serializer(PERIODS.get(pk=period.pk)).data, status=status.HTTP_201_CREATED)


class ExcludedPeriodViewSet(_Base):
    serializer_class = ExcludedPeriodSerializer

    def get_queryset(self):
        return PERIODS.filter(case__in=visible_cases(self.request.user))

    def _change(self, request, serializer_class, service):
        period = self.get_object()
        _writable(can_record_periods(request.user, period.case))
        params = serializer_class(data=request.data, context=self.get_serializer_context())
        params.is_valid(raise_exception=True)
        service(request.user, period, params.validated_data)
        return Response(self.get_serializer(PERIODS.get(pk=period.pk)).data)

    @extend_schema(summary="One excluded period")
    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary="Correct an excluded period (whoever may edit the case)",
        request=ExcludedPeriodChangeSerializer,
        responses=ExcludedPeriodSerializer,
    )
    def partial_update(self, request, pk=None):
        return self._change(request, ExcludedPeriodChangeSerializer, limits_services.change_period)

    @extend_schema(summary="End a running period", request=EndPeriodSerializer, responses=ExcludedPeriodSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        return self._change(request, EndPeriodSerializer, _end)


def _end(actor, period, data):
    return limits_services.end_period(actor, period, data["end"])


class CaseExtensionViewSet(_Base):
    serializer_class = ExtensionSerializer

    def get_queryset(self):
        return EXTENSIONS.filter(case__in=visible_cases(self.request.user)).order_by("requested_on", "id")

    @extend_schema(summary="Extensions of a case (延长审限), requested and decided", parameters=[CASE_ID])
    def list(self, request, case_pk=None):
        case = self.visible_case()
        page = self.paginate_queryset(self.get_queryset().filter(case=case))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="Request the next extension step (handler, division head, clerk of the division)", parameters=[CASE_ID]
    )
    def create(self, request, case_pk=None):
        case = self.visible_case()
        _writable(can_request_extension(request.user, case))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        extension = limits_services.request_extension(request.user, case, **serializer.validated_data)
        return Response(self.get_serializer(EXTENSIONS.get(pk=extension.pk)).data, status=status.HTTP_201_CREATED)


class ExtensionViewSet(_Base):
    serializer_class = ExtensionSerializer

    def get_queryset(self):
        return EXTENSIONS.filter(case__in=visible_cases(self.request.user))

    @extend_schema(summary="One extension")
    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary="Approve or refuse a pending extension (president; a higher court's decision: tracking officer "
        "or president); an approval moves the deadline at once",
        request=DecisionSerializer,
        responses=ExtensionSerializer,
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        extension = self.get_object()
        params = DecisionSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        _writable(can_decide_extension(request.user, by_higher_court=data["by_higher_court"]))
        limits_services.decide_extension(
            request.user,
            extension,
            approve=data["decision"] == "approve",
            by_higher_court=data["by_higher_court"],
            decided_on=data.get("decided_on"),
            document_ref=data["document_ref"],
        )
        return Response(self.get_serializer(EXTENSIONS.get(pk=extension.pk)).data)


def register(router) -> None:
    """Add this app's viewsets to the /api/v1/ router (the ledger of a case under its address)."""
    router.register(
        r"cases/(?P<case_pk>\d+)/excluded-periods", CaseExcludedPeriodViewSet, basename="case-excluded-periods"
    )
    router.register("excluded-periods", ExcludedPeriodViewSet, basename="excluded-period")
    router.register(r"cases/(?P<case_pk>\d+)/extensions", CaseExtensionViewSet, basename="case-extensions")
    router.register("extensions", ExtensionViewSet, basename="extension")
