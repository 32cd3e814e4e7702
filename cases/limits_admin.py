"""Admin for the statutory time limits (imported by cases/admin.py).

Rules, steps and the calendar are edited here. Periods and extensions go through the
services so that the deadline moves with them.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import limits_services
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


@admin.register(ExcludedPeriod)
class ExcludedPeriodAdmin(admin.ModelAdmin):
    list_display = ["case", "reason_code", "start", "end", "recorded_by", "document_ref", "reviewed_on"]
    list_filter = ["reason_code", ("end", admin.EmptyFieldListFilter)]
    search_fields = ["case__case_number", "reason", "document_ref"]
    list_select_related = ["case", "recorded_by"]
    raw_id_fields = ["case", "awaited_case", "recorded_by"]
    readonly_fields = ["recorded_by", "recorded_at"]

    def save_model(self, request, obj, form, change):
        # Through the service: validation and the deadline move with the period.
        fields = limits_services.PERIOD_FIELDS
        if change:
            changes = {f: form.cleaned_data[f] for f in form.changed_data if f in fields}
            limits_services.change_period(request.user, obj, changes)
        else:
            data = {f: form.cleaned_data.get(f) for f in fields}
            data["reason"] = data["reason"] or ""
            data["document_ref"] = data["document_ref"] or ""
            new = limits_services.record_period(request.user, form.cleaned_data["case"], **data)
            obj.pk = new.pk

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
class WorkingDayAdmin(admin.ModelAdmin):
    list_display = ["day", "is_working", "source", "name"]
    list_filter = ["is_working", "source"]
    date_hierarchy = "day"
    search_fields = ["name"]

    def has_change_permission(self, request, obj=None):
        return False  # corrected through overrides

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
