"""REST API of the escalation engine: alerts, clearance plans and weekly dispatch lists.

Thin viewsets over alerts.services (which check cases.permissions and raise Django's
ValidationError / PermissionDenied; common.api turns them into 400 / 403).
"""

from __future__ import annotations

import django_filters as filters
from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cases import case_numbers
from cases.permissions import visible_cases, visible_divisions
from common.api import CappedPageNumberPagination, IsoDateField, StrictQueryParamsMixin
from common.filters import StrictDateFilter, UpdatedSinceFilter

from .. import services
from ..models import Alert, AlertKind, ClearancePlan, DispatchItem, DispatchList, PlanReason, PlanStatus

# --- serializers ----------------------------------------------------------------------------


class AlertSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:alert-detail", help_text="API address of this alert.")
    case = serializers.HyperlinkedRelatedField(
        view_name="api:case-detail", read_only=True, help_text="API address of the case."
    )
    case_id = serializers.IntegerField(read_only=True, help_text="Database id of the case.")
    case_number = serializers.CharField(source="case.case_number", read_only=True, help_text="Case number (案号).")
    division = serializers.CharField(
        source="case.division.code", read_only=True, help_text="Code of the case's current division."
    )
    handler = serializers.CharField(
        source="case.handler.username",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="Username of the case's current handler.",
    )
    acknowledged_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Username of the first person who acknowledged it (null while nobody has).",
    )
    is_active = serializers.BooleanField(read_only=True, help_text="Not resolved and not superseded.")

    class Meta:
        model = Alert
        fields = [
            "id",
            "url",
            "case",
            "case_id",
            "case_number",
            "division",
            "handler",
            "kind",
            "level",
            "line_date",
            "raised_on",
            "superseded",
            "resolved_on",
            "resolution",
            "acknowledged_by",
            "acknowledged_at",
            "escalation_step",
            "escalated_on",
            "is_active",
        ]
        extra_kwargs = {
            "id": {"help_text": "Database id of the alert."},
            "kind": {"help_text": "ageing (the 6- and 15-month lines) or time_limit (the statutory time limit, 审限)."},
            "level": {
                "help_text": "Ageing: approaching_6m, over_6m, approaching_15m or over_15m. Time limit: limit_30, "
                "limit_15 or limit_7 (30, 15 or 7 days or less to the statutory deadline) or limit_overdue "
                "(over the statutory time limit)."
            },
            "line_date": {
                "help_text": "Ageing: the 6- or 15-month line the alert is about; time limit: the statutory "
                "deadline; as it was when the alert was raised (YYYY-MM-DD)."
            },
            "raised_on": {"help_text": "As-of date of the daily run that raised it."},
            "superseded": {"help_text": "Recorded for a case first seen already past this level; inert."},
            "resolved_on": {"help_text": "When the case closed or moved to another level; null while active."},
            "resolution": {
                "help_text": "closed or level_changed (level, line or deadline changed); empty while active."
            },
            "acknowledged_at": {"help_text": "When it was first acknowledged; null if never."},
            "escalation_step": {"help_text": "0: the level's owners; 1: escalated one step up the ladder."},
            "escalated_on": {"help_text": "When it was escalated; null if not."},
        }


class PlanSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:plan-detail", help_text="API address of this plan.")
    case = serializers.IntegerField(
        source="case_id", required=False, help_text="Database id of the case (or give case_number)."
    )
    case_number = serializers.CharField(
        source="case.case_number", required=False, help_text="Case number in either parenthesis form (or give case)."
    )
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, help_text="Who filed the plan.")
    reviewer = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="The division head who approved or returned it (null until reviewed).",
    )
    submit = serializers.BooleanField(
        write_only=True, default=True, help_text="Submit for review at once (default); false keeps a draft."
    )
    expected_close_on = IsoDateField(
        help_text="Expected closing date (YYYY-MM-DD): after today, at most 36 months (PLAN_HORIZON_MONTHS) ahead."
    )

    class Meta:
        model = ClearancePlan
        fields = [
            "id",
            "url",
            "case",
            "case_number",
            "version",
            "author",
            "reason",
            "reason_text",
            "expected_close_on",
            "steps",
            "status",
            "created_at",
            "submitted_at",
            "reviewer",
            "review_comment",
            "reviewed_at",
            "submit",
        ]
        read_only_fields = ["version", "status", "created_at", "submitted_at", "review_comment", "reviewed_at"]
        extra_kwargs = {
            "id": {"help_text": "Database id of the plan version."},
            "version": {"help_text": "Version number within the case, from 1."},
            "reason": {"help_text": "Why the case is not closed: " + ", ".join(PlanReason.values) + "."},
            "reason_text": {"help_text": "Details of the reason; required when the reason is other."},
            "steps": {"help_text": "The plan to close the case."},
            "status": {"help_text": "draft, submitted, approved or returned."},
            "created_at": {"help_text": "When the version was started."},
            "submitted_at": {"help_text": "When it was submitted for review."},
            "review_comment": {"help_text": "The reviewer's comment (required when returned)."},
            "reviewed_at": {"help_text": "When it was approved or returned."},
        }


class ReviewSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="Comment (required to return a plan)."
    )


class DispatchItemSerializer(serializers.ModelSerializer):
    case = serializers.HyperlinkedRelatedField(
        view_name="api:case-detail", read_only=True, help_text="API address of the case."
    )
    case_id = serializers.IntegerField(read_only=True, help_text="Database id of the case.")
    case_number = serializers.CharField(source="case.case_number", read_only=True, help_text="Case number (案号).")
    handler = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="Username of the handler when the list was built."
    )

    class Meta:
        model = DispatchItem
        fields = [
            "id",
            "case",
            "case_id",
            "case_number",
            "handler",
            "level",
            "crossed_level",
            "missing_plan",
            "overdue_plan",
            "over_15m",
            "filed_on",
            "expected_close_on",
            "outcome",
        ]
        extra_kwargs = {
            "id": {"help_text": "Database id of the item."},
            "level": {"help_text": "Ageing level of the case on the list's as-of date."},
            "crossed_level": {"help_text": "Highest level the case reached during the week, if it crossed one."},
            "missing_plan": {"help_text": "Over 6 months with no standing clearance plan."},
            "overdue_plan": {"help_text": "The plan's expected closing date has passed."},
            "over_15m": {"help_text": "Over 15 months (key warning)."},
            "filed_on": {"help_text": "Filing date when the list was built."},
            "expected_close_on": {"help_text": "Expected closing date of the standing plan, if any."},
            "outcome": {"help_text": "For a case on last week's list: closed, plan_filed, answered or still_open."},
        }


class DispatchSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api:dispatch-detail", help_text="API address of this dispatch list."
    )
    division = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="Division code.")
    head = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="Division head (or acting head) it was sent to."
    )
    acknowledged_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Who acknowledged it first (null while nobody has).",
    )
    items = DispatchItemSerializer(many=True, read_only=True, help_text="The cases on the list, oldest filing first.")

    class Meta:
        model = DispatchList
        fields = [
            "id",
            "url",
            "division",
            "week_start",
            "week_end",
            "as_of",
            "head",
            "built_at",
            "acknowledged_by",
            "acknowledged_at",
            "items",
        ]
        extra_kwargs = {
            "id": {"help_text": "Database id of the dispatch list."},
            "week_start": {"help_text": "Monday of the week covered."},
            "week_end": {"help_text": "Sunday of the week covered."},
            "as_of": {"help_text": "The Monday the list was built for."},
            "built_at": {"help_text": "When the list was built."},
            "acknowledged_at": {"help_text": "When the division head acknowledged it; null if not yet."},
        }


# --- filters --------------------------------------------------------------------------------


def _by_case_number(queryset, name, value):
    return queryset.filter(case__case_number=case_numbers.normalise(value))


class AlertFilter(filters.FilterSet):
    case_number = filters.CharFilter(method=_by_case_number, help_text="Case number, in either parenthesis form.")
    division = filters.CharFilter(field_name="case__division__code", help_text="Division code of the case.")
    handler = filters.CharFilter(field_name="case__handler__username", help_text="Username of the case's handler.")
    kind = filters.ChoiceFilter(
        choices=AlertKind.choices, help_text="Family of the alert: ageing (6/15 months) or time_limit (审限)."
    )
    level = filters.ChoiceFilter(choices=Alert.LEVEL_CHOICES, help_text="Level of the alert (either family).")
    resolved = filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        field_name="resolved_on",
        method="filter_resolved",
        help_text="true: resolved alerts; false: not yet resolved.",
    )
    raised_after = StrictDateFilter(field_name="raised_on", lookup_expr="gte", help_text="Raised on or after.")
    raised_before = StrictDateFilter(field_name="raised_on", lookup_expr="lte", help_text="Raised on or before.")
    updated_since = UpdatedSinceFilter(
        field_name="acknowledged_at",
        method="filter_updated_since",
        help_text="Raised, acknowledged, escalated or resolved at or after this date or date-time "
        "(alerts carry dates for raising, escalating and resolving: those compare by day).",
    )

    class Meta:
        model = Alert
        fields: list[str] = []

    def filter_resolved(self, queryset, name, value):
        return queryset.filter(resolved_on__isnull=not value)

    def filter_updated_since(self, queryset, name, value):
        from django.utils import timezone

        day = timezone.localdate(value)
        return queryset.filter(
            Q(raised_on__gte=day) | Q(resolved_on__gte=day) | Q(escalated_on__gte=day) | Q(acknowledged_at__gte=value)
        )


class PlanFilter(filters.FilterSet):
    case_number = filters.CharFilter(method=_by_case_number, help_text="Case number, in either parenthesis form.")
    division = filters.CharFilter(field_name="case__division__code", help_text="Division code of the case.")
    handler = filters.CharFilter(field_name="case__handler__username", help_text="Username of the case's handler.")
    status = filters.ChoiceFilter(choices=PlanStatus.choices, help_text="Status of the plan version.")
    updated_since = UpdatedSinceFilter(
        field_name="created_at",
        method="filter_updated_since",
        help_text="Created, submitted or reviewed at or after this date or date-time.",
    )

    class Meta:
        model = ClearancePlan
        fields: list[str] = []

    def filter_updated_since(self, queryset, name, value):
        return queryset.filter(Q(created_at__gte=value) | Q(submitted_at__gte=value) | Q(reviewed_at__gte=value))


class DispatchFilter(filters.FilterSet):
    division = filters.CharFilter(field_name="division__code", help_text="Division code.")
    week_start = StrictDateFilter(help_text="Monday of the week covered (YYYY-MM-DD).")
    acknowledged = filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        field_name="acknowledged_at",
        method="filter_acknowledged",
        help_text="true: acknowledged lists; false: not yet acknowledged.",
    )

    class Meta:
        model = DispatchList
        fields: list[str] = []

    def filter_acknowledged(self, queryset, name, value):
        return queryset.filter(acknowledged_at__isnull=not value)


# --- viewsets -------------------------------------------------------------------------------


class _Base(StrictQueryParamsMixin, viewsets.GenericViewSet):
    pagination_class = CappedPageNumberPagination


@extend_schema_view(
    list=extend_schema(summary="List alerts on the cases you can see"),
    retrieve=extend_schema(summary="One alert"),
)
class AlertViewSet(_Base, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = AlertSerializer
    filterset_class = AlertFilter

    def get_queryset(self):
        visible = visible_cases(self.request.user).values("id")
        return (
            Alert.objects.filter(case_id__in=visible)
            .select_related("case__division", "case__handler", "acknowledged_by")
            .order_by("-raised_on", "-id")
        )

    @extend_schema(summary="Acknowledge an alert (recorded once; escalation goes on until a plan)", request=None)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        alert = services.acknowledge_alert(request.user, self.get_object())
        return Response(self.get_serializer(self.get_queryset().get(pk=alert.pk)).data)


@extend_schema_view(
    list=extend_schema(summary="List clearance plan versions"),
    retrieve=extend_schema(summary="One clearance plan version"),
    create=extend_schema(summary="File (and by default submit) the clearance plan of a case"),
)
class ClearancePlanViewSet(_Base, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin):
    serializer_class = PlanSerializer
    filterset_class = PlanFilter

    def get_queryset(self):
        visible = visible_cases(self.request.user).values("id")
        return (
            ClearancePlan.objects.filter(case_id__in=visible)
            .select_related("case", "author", "reviewer")
            .order_by("-created_at", "-id")
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        cases = visible_cases(request.user)
        if data.get("case_id") is not None:
            case = cases.filter(pk=data["case_id"]).first()
        elif data.get("case", {}).get("case_number"):
            case = cases.filter(case_number=case_numbers.normalise(data["case"]["case_number"])).first()
        else:
            raise exceptions.ValidationError({"case": [_("Give the case (id) or its case_number.")]})
        if case is None:
            raise exceptions.ValidationError({"case": [_("No such case among those you can see.")]})
        plan = services.file_plan(
            request.user,
            case,
            reason=data["reason"],
            reason_text=data.get("reason_text", ""),
            expected_close_on=data["expected_close_on"],
            steps=data["steps"],
            submit=data["submit"],
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=plan.pk)).data, status=status.HTTP_201_CREATED)

    def _review(self, request, service):
        params = ReviewSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        plan = service(request.user, self.get_object(), comment=params.validated_data.get("comment", ""))
        return Response(self.get_serializer(self.get_queryset().get(pk=plan.pk)).data)

    @extend_schema(summary="Approve a submitted plan (division head)", request=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._review(request, services.approve_plan)

    @extend_schema(summary="Return a submitted plan with a comment (division head)", request=ReviewSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_plan(self, request, pk=None):
        return self._review(request, services.return_plan)


@extend_schema_view(
    list=extend_schema(summary="Weekly dispatch lists of the divisions you can see, with their items"),
    retrieve=extend_schema(summary="One weekly dispatch list with its items"),
)
class DispatchViewSet(_Base, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = DispatchSerializer
    filterset_class = DispatchFilter

    def get_queryset(self):
        items = DispatchItem.objects.select_related("case", "handler").order_by("filed_on", "id")
        return (
            DispatchList.objects.filter(division__in=visible_divisions(self.request.user))
            .select_related("division", "head", "acknowledged_by")
            .prefetch_related(Prefetch("items", queryset=items))
            .order_by("-week_start", "division__sort_order", "division__code")
        )

    @extend_schema(summary="Acknowledge the week's list (division head)", request=None)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        dispatch_list = services.acknowledge_dispatch(request.user, self.get_object())
        return Response(self.get_serializer(self.get_queryset().get(pk=dispatch_list.pk)).data)


def register(router) -> None:
    """Add this app's viewsets to the /api/v1/ router."""
    router.register("alerts", AlertViewSet, basename="alert")
    router.register("plans", ClearancePlanViewSet, basename="plan")
    router.register("dispatches", DispatchViewSet, basename="dispatch")


# For SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]: the levels of both families of alerts.
ALERT_LEVEL_CHOICES = Alert.LEVEL_CHOICES
