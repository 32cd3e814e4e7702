"""Serializers of the case register. Every field carries an English description (the schema
at /api/schema/ is the integrations' contract)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from cases import ageing, extensions, services
from cases.case_numbers import CASE_TYPE_CHOICES, Category, Stage
from cases.models import CaseEvent, CaseStatus, ClosureMethod, Division, DivisionKind, EventKind, Procedure, User
from cases.roles import Role
from common.api import FastIdentityUrlField, IsoDateField

from .fields import DivisionCodeField, UsernameField

# --- divisions and staff --------------------------------------------------------------------


class DivisionSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api:division-detail", lookup_field="code", help_text="API address of this division."
    )
    court = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="Court code (法院代字) of the court the division belongs to."
    )
    head = UsernameField(required=False, allow_null=True, help_text="Username of the division head (庭长).")
    acting_head = UsernameField(
        required=False, allow_null=True, help_text="Username of the acting head, standing in from acting_from."
    )
    vice_president = UsernameField(
        required=False, allow_null=True, help_text="Username of the vice-president in charge (分管副院长)."
    )
    tracking_officer = UsernameField(
        required=False, allow_null=True, help_text="Username of the tracking officer (审管办专人) following it."
    )
    acting_from = IsoDateField(
        required=False, allow_null=True, help_text="First day of the acting head's period (YYYY-MM-DD)."
    )
    acting_until = IsoDateField(
        required=False,
        allow_null=True,
        help_text="Last day of the acting head's period (YYYY-MM-DD), at most 36 months (PLAN_HORIZON_MONTHS) ahead.",
    )

    class Meta:
        model = Division
        fields = [
            "id",
            "url",
            "code",
            "name",
            "kind",
            "court",
            "head",
            "acting_head",
            "acting_from",
            "acting_until",
            "vice_president",
            "tracking_officer",
            "sort_order",
        ]
        extra_kwargs = {
            "id": {"help_text": "Database id of the division."},
            "code": {"help_text": "Stable code used by integrations and in URLs, e.g. civil-1."},
            "name": {"help_text": "Name of the division, e.g. 民一庭."},
            "kind": {"help_text": "Kind of division: " + ", ".join(DivisionKind.values) + "."},
            "sort_order": {"help_text": "Position of the division in lists and reports."},
        }

    def validate(self, attrs):
        start = attrs.get("acting_from", getattr(self.instance, "acting_from", None))
        end = attrs.get("acting_until", getattr(self.instance, "acting_until", None))
        if start and end and end < start:
            raise serializers.ValidationError({"acting_until": [_("The end date cannot be before the start date.")]})
        errors = services.acting_period_errors(attrs.get("acting_from"), attrs.get("acting_until"))
        if errors:
            raise serializers.ValidationError(errors)
        acting_head = attrs.get("acting_head", getattr(self.instance, "acting_head", None))
        naming = {"acting_head", "acting_from", "acting_until"} & set(attrs)
        if naming and acting_head is not None and not (start and end):
            # An acting head holds the head's powers on the days of the period only.
            raise serializers.ValidationError({"acting_until": [_("Give the first and the last day of the period.")]})
        return attrs


class StaffSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api:staff-detail", lookup_field="username", help_text="API address of this person."
    )
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.ALL),
        required=False,
        help_text=f"Roles of the person: {', '.join(Role.ALL)}. "
        f"An integration gives or takes only {', '.join(sorted(Role.DIVISION_ROLES))}.",
    )
    division = DivisionCodeField(required=False, allow_null=True, help_text="Code of the division the person works in.")
    active = serializers.BooleanField(
        source="is_active", required=False, help_text="False for staff who left; they cannot log in."
    )

    class Meta:
        model = User
        fields = ["id", "url", "username", "name", "roles", "division", "active"]
        extra_kwargs = {
            "id": {"help_text": "Database id of the person."},
            "username": {"help_text": "Login name, the person's key in the API."},
            "name": {"help_text": "Full name as written in Chinese, e.g. 张伟."},
        }

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["roles"] = sorted(instance.roles)
        return data

    def validate_roles(self, roles):
        # Who may give which role is cases.permissions.staff_change_refusals (403), asked by the service.
        return sorted(set(roles))


# --- cases -------------------------------------------------------------------------------

STATUS_HELP = "open, suspended (中止, still ageing) or closed."
LEVEL_HELP = (
    "Ageing level on as_of: normal, approaching_6m, over_6m, approaching_15m, over_15m, or closed (not open on as_of)."
)


# Serializes the cases of `cases.api.views.annotated_cases` (the docstring below is the schema's):
# the age and the extensions' fields are columns of that query, none is computed per row here.
class CaseSerializer(serializers.Serializer):
    """A case of the register, with its age computed as of `?as_of=` (default today)."""

    id = serializers.IntegerField(read_only=True, help_text="Database id of the case.")
    url = FastIdentityUrlField(view_name="api:case-detail", help_text="API address of this case.")
    case_number = serializers.CharField(
        max_length=60,
        help_text="Case number (案号) in either parenthesis form, e.g. （2024）黔0281民初1234号 or "
        "(2024)黔0281民初1234号; stored and returned with full-width parentheses.",
    )
    external_id = serializers.CharField(
        max_length=64,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Key of the case in the court's main case system; unique when present.",
    )
    court = serializers.CharField(source="court.code", read_only=True, help_text="Court code, e.g. 黔0281.")
    division = DivisionCodeField(help_text="Code of the division handling the case.")
    handler = UsernameField(required=False, allow_null=True, help_text="Username of the case handler (承办人).")
    clerk = UsernameField(required=False, allow_null=True, help_text="Username of the clerk (书记员).")
    case_type = serializers.ChoiceField(
        choices=CASE_TYPE_CHOICES,
        read_only=True,
        help_text="Case-type code (类型代字) taken from the number, e.g. 民初.",
    )
    category = serializers.ChoiceField(
        choices=Category.CHOICES, read_only=True, help_text="Category derived from the case type."
    )
    stage = serializers.ChoiceField(
        choices=Stage.CHOICES, read_only=True, help_text="Stage derived from the case type."
    )
    procedure = serializers.ChoiceField(
        choices=Procedure.choices,
        required=False,
        help_text="Procedure; on create it defaults from the case type (ordinary for 民初, special for 民特 …).",
    )
    cause = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Cause of action (案由), e.g. 民间借贷纠纷."
    )
    parties = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text="Summary of the parties, e.g. 张三诉李四."
    )
    filed_on = IsoDateField(help_text="Filing date (立案日期), YYYY-MM-DD; not before 1949-10-01, not after today.")
    status = serializers.ChoiceField(choices=CaseStatus.choices, required=False, help_text=STATUS_HELP)
    closed_on = IsoDateField(
        required=False,
        allow_null=True,
        help_text="Closing date (结案日期), only for a closed case; not before filing, not after today.",
    )
    closure_method = serializers.ChoiceField(
        choices=ClosureMethod.choices,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Closure method (结案方式), required for a closed case, empty otherwise.",
    )
    business_environment = serializers.BooleanField(
        required=False, help_text="Flagged as concerning the business environment (涉营商环境)."
    )
    created_at = serializers.DateTimeField(read_only=True, help_text="When the case was registered in CourtFlow.")
    updated_at = serializers.DateTimeField(
        read_only=True, help_text="Last change to the case, by anyone or any job; use with updated_since."
    )
    as_of = serializers.SerializerMethodField(help_text="The date the computed age fields refer to.")
    # The age on as_of: the columns of cases.ageing.age_annotations.
    is_open = serializers.BooleanField(
        source=ageing.AGE_COLUMNS["is_open"],
        read_only=True,
        help_text="Whether the case was open on as_of (filed by then and not yet closed; suspended counts).",
    )
    age_days = serializers.IntegerField(
        source=ageing.AGE_COLUMNS["age_days"],
        read_only=True,
        help_text="Days from filing to as_of, or to the closing date if closed by then.",
    )
    age_months = serializers.IntegerField(
        source=ageing.AGE_COLUMNS["age_months"],
        read_only=True,
        help_text="Whole calendar months from filing to as_of (or the closing date).",
    )
    aging_level = serializers.CharField(source=ageing.AGE_COLUMNS["level"], read_only=True, help_text=LEVEL_HELP)
    line_6m = serializers.DateField(
        read_only=True, help_text="The 6-month line: filing date + 6 months, clipped to the month's end."
    )
    line_15m = serializers.DateField(read_only=True, help_text="The 15-month line: filing date + 15 months.")

    def get_as_of(self, case) -> str:
        return self.context["as_of"].isoformat()

    def get_fields(self):
        # Read-only fields of the apps above the register (the statutory clock), last.
        return {**super().get_fields(), **extensions.api_fields()}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["closure_method"] = instance.closure_method or None
        return data


class CaseEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Username of who made the change; null for the system.",
    )

    class Meta:
        model = CaseEvent
        fields = ["id", "kind", "actor", "occurred_at", "effective_on", "before", "after", "note"]
        extra_kwargs = {
            "id": {"help_text": "Database id of the event."},
            "kind": {"help_text": "What happened: " + ", ".join(EventKind.values) + "."},
            "occurred_at": {"help_text": "When the change was recorded."},
            "effective_on": {"help_text": "The date the change took effect (YYYY-MM-DD)."},
            "before": {"help_text": "The changed fields before the change."},
            "after": {"help_text": "The changed fields after the change."},
            "note": {"help_text": "Why, as given by whoever made the change."},
        }


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, help_text="Why (optional).")


class DatedNoteSerializer(NoteSerializer):
    on = IsoDateField(
        required=False,
        allow_null=True,
        help_text="Date the change took effect (YYYY-MM-DD), default today; not before the filing date (resume: not "
        "before the suspension began; suspend: after the previous suspension ended), not after today.",
    )


class CloseSerializer(NoteSerializer):
    closed_on = IsoDateField(help_text="Closing date (YYYY-MM-DD), not before filing, not in the future.")
    closure_method = serializers.ChoiceField(choices=ClosureMethod.choices, help_text="Closure method (结案方式).")


class ReopenSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, help_text="Why the closing was recorded in error (required).")


class TransferSerializer(DatedNoteSerializer):
    division = DivisionCodeField(required=False, help_text="Code of the new division.")
    handler = UsernameField(required=False, help_text="Username of the new handler.")


# --- bulk --------------------------------------------------------------------------------


class BulkRowResultSerializer(serializers.Serializer):
    case_number = serializers.CharField(
        allow_null=True, help_text="The case number of the row as sent (normal form when it parsed)."
    )
    result = serializers.ChoiceField(
        choices=["created", "updated", "unchanged", "error"], help_text="What happened to the row."
    )
    id = serializers.IntegerField(allow_null=True, help_text="Database id of the case; null for an error row.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="For an error row, messages keyed by field name; empty otherwise.",
    )


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Rows that registered a new case.")
    updated = serializers.IntegerField(help_text="Rows that changed an existing case.")
    unchanged = serializers.IntegerField(help_text="Rows equal to the case already registered.")
    errors = serializers.IntegerField(help_text="Rows refused; nothing of them was saved.")
    results = BulkRowResultSerializer(many=True, help_text="One entry per row, in the order sent.")


class CaseSyncSerializer(CaseSerializer):
    """The case as /cases/export/ returns it (its own schema name: the export pages differ from the list's)."""
