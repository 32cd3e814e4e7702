"""Viewsets of the case register: thin, over cases.services, cases.imports and cases.permissions.

Eager loading is declared on each viewset (`get_queryset`) and pinned by query-count tests.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import F
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cases import ageing, extensions, imports, services
from cases.models import Case, CaseEvent, Division, User
from cases.permissions import (
    can_edit_case,
    can_manage_organisation,
    can_register_cases,
    division_change_refusals,
    visible_cases,
)
from common.api import CappedPageNumberPagination, StrictQueryParamsMixin, UpdatedAtCursorPagination, parse_as_of

from .filters import CaseFilter
from .serializers import (
    BulkResultSerializer,
    CaseEventSerializer,
    CaseSerializer,
    CaseSyncSerializer,
    CloseSerializer,
    DatedNoteSerializer,
    DivisionSerializer,
    ReopenSerializer,
    StaffSerializer,
    TransferSerializer,
)

AS_OF = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATE,
    description="Compute age_days, age_months, aging_level and is_open as of this date (YYYY-MM-DD); "
    "default today in Asia/Shanghai. The case's current division and handler are shown.",
)


def _cases():
    return Case.objects.select_related("court", "division", "handler", "clerk")


def annotated_cases(queryset, as_of: dt.date):
    """Cases as CaseSerializer shows them on `as_of`: with their age (cases.ageing, each court's
    warning window) and the extensions' columns (the clock: deadline, days remaining, status),
    all in the one statement that reads the cases."""
    queryset = queryset.annotate(**ageing.age_annotations(as_of, F("court__warning_window_days")))
    return extensions.annotate(queryset, as_of)


class OrganisationPermission(permissions.BasePermission):
    """Everyone signed in reads the organisation chart; integrations and admins write it."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in permissions.SAFE_METHODS or can_manage_organisation(request.user)


class CasePermission(permissions.BasePermission):
    """Reads: the cases `visible_cases` allows (others are 404). Writes: cases.permissions."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        if view.action in ("create", "bulk"):
            return can_register_cases(request.user)
        return True

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        return can_edit_case(request.user, obj)


class NoDeleteModelViewSet(
    StrictQueryParamsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    pagination_class = CappedPageNumberPagination


@extend_schema_view(
    list=extend_schema(summary="List divisions"),
    retrieve=extend_schema(summary="One division by code"),
    create=extend_schema(summary="Create a division (integration, admin)"),
    update=extend_schema(summary="Replace a division (integration, admin)"),
    partial_update=extend_schema(summary="Change a division (integration, admin)"),
)
class DivisionViewSet(NoDeleteModelViewSet):
    serializer_class = DivisionSerializer
    permission_classes = [OrganisationPermission]
    lookup_field = "code"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    filterset_class = None

    def get_queryset(self):
        return Division.objects.select_related("court", "head", "acting_head", "vice_president", "tracking_officer")

    def _check(self, serializer) -> None:
        refusals = division_change_refusals(self.request.user, serializer.instance, serializer.validated_data)
        if refusals:
            raise exceptions.PermissionDenied({"detail": next(iter(refusals.values()))[0], **refusals})

    def perform_create(self, serializer):
        from cases.models import Court

        self._check(serializer)
        court = Court.default()
        if court is None:
            raise exceptions.ValidationError({"court": [_("No court is set up yet.")]})
        serializer.save(court=court)

    def perform_update(self, serializer):
        self._check(serializer)
        serializer.save()


STAFF_CHANGES = (
    "An integration (syncing the personnel system) creates and updates people and gives or takes the division "
    "roles clerk, handler and division_head. It may not change an administrator's, an integration's or a court "
    "leader's account (any role beyond those three, or access to the admin site), nor give or take any other role: "
    "403, with the refused field named. Administrators may make any change. Every role change is kept in the audit "
    "trail with who made it and from where."
)


@extend_schema_view(
    list=extend_schema(summary="List staff"),
    retrieve=extend_schema(summary="One person by username"),
    create=extend_schema(
        summary="Create a staff account without a password (integration, admin)", description=STAFF_CHANGES
    ),
    update=extend_schema(summary="Replace a person (integration, admin)", description=STAFF_CHANGES),
    partial_update=extend_schema(summary="Change a person (integration, admin)", description=STAFF_CHANGES),
)
class StaffViewSet(NoDeleteModelViewSet):
    serializer_class = StaffSerializer
    permission_classes = [OrganisationPermission]
    lookup_field = "username"
    lookup_value_regex = r"[\w.@+-]+"
    filterset_class = None

    def get_queryset(self):
        return User.objects.select_related("division").prefetch_related("groups").order_by("username")

    def _save(self, save, **kwargs) -> User:
        """Run the staff service. Its refusals, keyed by model field, answer 403 keyed by API field,
        with the first message as `detail` too (the error shape of every 403)."""
        try:
            return save(self.request.user, **kwargs)
        except DjangoPermissionDenied as exc:
            refusals = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
            names = {field.source: name for name, field in self.get_serializer().fields.items()}
            body = {names.get(key, key): messages for key, messages in refusals.items()}
            detail = next(iter(body.values()), [_("You do not have permission to perform this action.")])[0]
            raise exceptions.PermissionDenied({"detail": detail, **body}) from exc

    def perform_create(self, serializer):
        from cases.models import Court

        serializer.instance = self._save(services.create_person, court=Court.default(), **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = self._save(
            services.update_person, person=serializer.instance, **serializer.validated_data
        )


@extend_schema_view(
    list=extend_schema(
        summary="List and filter cases",
        parameters=[AS_OF],
        description="Page-number pages of up to 500 cases. The count is exact up to 10,000 rows and capped above "
        "(see count_is_exact). Unknown query parameters are refused with 400.",
    ),
    retrieve=extend_schema(summary="One case", parameters=[AS_OF]),
    create=extend_schema(summary="Register a case (clerk, integration, admin)"),
    update=extend_schema(summary="Update a case; status changes record the same events as the actions"),
    partial_update=extend_schema(summary="Change some fields of a case"),
)
class CaseViewSet(NoDeleteModelViewSet):
    serializer_class = CaseSerializer
    permission_classes = [CasePermission]
    filterset_class = CaseFilter
    filtered_actions = ("export",)
    lookup_value_regex = r"\d+"
    extra_query_params_by_action = {
        "list": ("as_of",),
        "retrieve": ("as_of",),
        "export": ("as_of",),
        "update": ("as_of",),
        "partial_update": ("as_of",),
    }

    def get_queryset(self):
        return annotated_cases(visible_cases(self.request.user, _cases()), parse_as_of(self.request))

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["as_of"] = parse_as_of(self.request)
        return context

    def _respond(self, case: Case, code: int = status.HTTP_200_OK) -> Response:
        # Re-read with the list's columns, but unrestricted: a transfer may just have moved the
        # case out of the writer's view.
        case = annotated_cases(_cases(), parse_as_of(self.request)).get(pk=case.pk)
        return Response(self.get_serializer(case).data, status=code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = imports.case_changes_from_api(serializer.validated_data)
        case = services.register_case(request.user, **data)
        return self._respond(case, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        case = self.get_object()
        serializer = self.get_serializer(case, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        changes = imports.complete_status_change(case, imports.case_changes_from_api(serializer.validated_data))
        services.change_case(request.user, case, changes)
        return self._respond(case)

    @extend_schema(
        summary="Timeline of a case",
        responses=CaseEventSerializer(many=True),
        parameters=[],
    )
    @action(detail=True, methods=["get"], serializer_class=CaseEventSerializer)
    def events(self, request, pk=None):
        case = get_object_or_404(visible_cases(request.user), pk=pk)
        events = CaseEvent.objects.filter(case=case).select_related("actor").order_by("occurred_at", "id")
        page = self.paginate_queryset(events)
        return self.get_paginated_response(CaseEventSerializer(page, many=True).data)

    def _action(self, request, serializer_class, service, **extra):
        case = self.get_object()
        params = serializer_class(data=request.data)
        params.is_valid(raise_exception=True)
        service(request.user, case, **params.validated_data, **extra)
        return self._respond(case)

    @extend_schema(summary="Suspend an open case (中止)", request=DatedNoteSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        return self._action(request, DatedNoteSerializer, services.suspend_case)

    @extend_schema(summary="Resume a suspended case", request=DatedNoteSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._action(request, DatedNoteSerializer, services.resume_case)

    @extend_schema(summary="Close a case", request=CloseSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._action(request, CloseSerializer, services.close_case)

    @extend_schema(
        summary="Reopen a case closed in error (a note is required)", request=ReopenSerializer, responses=CaseSerializer
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._action(request, ReopenSerializer, services.reopen_case)

    @extend_schema(
        summary="Move a case to another division and/or handler", request=TransferSerializer, responses=CaseSerializer
    )
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        return self._action(request, TransferSerializer, services.transfer_case)

    @extend_schema(
        summary="Create or update up to 1,000 cases",
        description="POST a JSON array of case objects (the fields of a case; external_id optional). Each row is "
        "matched by external_id when given, else by its normalised case number, then created, updated or left "
        "unchanged; a row with errors is refused alone, the others are saved. Sending the same batch again "
        "gives only unchanged rows. More than 1,000 rows: 400 and nothing is saved.",
        request={"application/json": {"type": "array", "items": {"$ref": "#/components/schemas/CaseRequest"}}},
        responses=BulkResultSerializer,
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        rows = request.data
        if not isinstance(rows, list):
            raise exceptions.ValidationError({"non_field_errors": [_("Send a JSON array of cases.")]})
        report = imports.upsert_cases(request.user, rows, source=imports.Source.API)
        if report.refused:
            raise exceptions.ValidationError({"non_field_errors": [report.refused]})
        return Response(report.as_dict())

    @extend_schema(
        summary="All visible cases in (updated_at, id) order, for full and incremental syncs",
        description="Keyset (cursor) pages. Start without a cursor (optionally with updated_since), follow `next` "
        "until it is null, and keep `resume` for the next sync. Accepts the list's filters.",
        parameters=[AS_OF],
        responses=CaseSyncSerializer(many=True),
    )
    @action(
        detail=False, methods=["get"], pagination_class=UpdatedAtCursorPagination, serializer_class=CaseSyncSerializer
    )
    def export(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


def register(router) -> None:
    """Add the register's viewsets to the /api/v1/ router."""
    router.register("divisions", DivisionViewSet, basename="division")
    router.register("staff", StaffViewSet, basename="staff")
    router.register("cases", CaseViewSet, basename="case")
