"""Admin for the statutory time limits (imported by cases/admin.py).

Rules, steps and the calendar are edited here. Periods and extensions go through the
services so that the deadline moves with them.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyAdmin

from . import services as limits_services
from .models import (
    ExcludedPeriod,
    Extension,
    ExtensionStep,
    HiddenOverrunFlag,
    LimitRule,
    WorkingDay,
    WorkingDayOverride,
)


class ExtensionStepInline(admin.TabularInline):
    model = ExtensionStep
    extra = 0


@admin.register(LimitRule)
class LimitRuleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "category",
        "stage",
        "procedure",
        "variant",
        "base_length",
        "base_unit",
        "request_lead_days",
    ]
    list_filter = ["category", "stage", "active"]
    inlines = [ExtensionStepInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        self.message_user(
            request, _("Run “manage.py recompute_deadlines” to apply the changed rule to existing cases.")
        )


def _save_period(user, period: ExcludedPeriod | None, cleaned: dict, changed: list[str]) -> ExcludedPeriod:
    """Record or change a period through the service: validation and the deadline move with it."""
    fields = limits_services.PERIOD_FIELDS
    if period is not None:
        return limits_services.change_period(user, period, {f: cleaned[f] for f in changed if f in fields})
    data = {f: cleaned.get(f) for f in fields}
    data["reason"] = data["reason"] or ""
    data["document_ref"] = data["document_ref"] or ""
    return limits_services.record_period(user, cleaned["case"], **data)


class _TrialRun(Exception):
    """Rolls back a trial run of the service."""


class ExcludedPeriodAdminForm(forms.ModelForm):
    """The service's rules (dates, overlaps) shown as form errors, not as a server error: the form
    runs the service in a transaction that it rolls back, and the admin then saves for real."""

    user = None  # set by ExcludedPeriodAdmin.get_form (the admin's form factory gives the model and fields)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            with transaction.atomic():
                current = ExcludedPeriod.objects.get(pk=self.instance.pk) if self.instance.pk else None
                _save_period(self.user, current, cleaned, self.changed_data)
                raise _TrialRun
        except _TrialRun:
            pass
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
            for field, messages in errors.items():
                self.add_error(field if field in self.fields else None, messages)
        return cleaned


@admin.register(ExcludedPeriod)
class ExcludedPeriodAdmin(admin.ModelAdmin):
    form = ExcludedPeriodAdminForm

    list_display = ["case", "reason_code", "start", "end", "recorded_by", "document_ref", "reviewed_on"]
    list_filter = ["reason_code", ("end", admin.EmptyFieldListFilter)]
    search_fields = ["case__case_number", "reason", "document_ref"]
    list_select_related = ["case", "recorded_by"]
    raw_id_fields = ["case", "awaited_case", "recorded_by"]
    readonly_fields = ["recorded_by", "recorded_at"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def save_model(self, request, obj, form, change):
        saved = _save_period(request.user, obj if change else None, form.cleaned_data, form.changed_data)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        limits_services.delete_period(request.user, obj)


@admin.register(Extension)
class ExtensionAdmin(admin.ModelAdmin):
    list_display = ["case", "step", "length", "unit", "status", "requested_on", "late_request", "decided_on"]
    list_filter = ["status", "late_request", "by_higher_court"]
    search_fields = ["case__case_number", "reason", "document_ref"]
    list_select_related = ["case"]
    raw_id_fields = ["case", "requested_by", "decided_by"]

    def has_change_permission(self, request, obj=None):
        return False  # requests and decisions go through the case page or the API (services)

    def has_add_permission(self, request):
        return False


@admin.register(WorkingDay)
class WorkingDayAdmin(ReadOnlyAdmin):  # corrected through overrides
    list_display = ["day", "is_working", "source", "name"]
    list_filter = ["is_working", "source"]
    date_hierarchy = "day"
    search_fields = ["name"]


@admin.register(WorkingDayOverride)
class WorkingDayOverrideAdmin(admin.ModelAdmin):
    list_display = ["day", "is_working", "note", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        saved = limits_services.set_calendar_override(request.user, obj.day, obj.is_working, obj.note)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        limits_services.remove_calendar_override(request.user, obj.day)

    def delete_queryset(self, request, queryset):
        for override in queryset:
            limits_services.remove_calendar_override(request.user, override.day)


@admin.register(HiddenOverrunFlag)
class HiddenOverrunFlagAdmin(admin.ModelAdmin):
    list_display = ["case", "rule", "first_flagged_on", "last_seen_on", "cleared_on"]
    list_filter = ["rule", ("cleared_on", admin.EmptyFieldListFilter)]
    search_fields = ["case__case_number"]
    list_select_related = ["case"]
    readonly_fields = ["case", "rule", "first_flagged_on", "last_seen_on", "cleared_on", "evidence"]

    def has_add_permission(self, request):
        return False
