from django.contrib import admin

from common.admin import ReadOnlyAdmin

from .models import (
    Alert,
    ClearancePlan,
    DispatchItem,
    DispatchList,
    EmailDigest,
    EngineSettings,
    Notification,
    UrgingNotice,
)


@admin.register(EngineSettings)
class EngineSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "court",
        "over_6m_escalation_days",
        "over_15m_escalation_days",
        "missing_plan_days",
        "dispatch_catch_up_weeks",
    ]


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["case", "kind", "level", "line_date", "raised_on", "resolved_on", "superseded", "escalation_step"]
    list_filter = ["kind", "level", "superseded", "escalation_step", "resolution", "case__division"]
    search_fields = ["case__case_number"]
    date_hierarchy = "raised_on"
    list_select_related = ["case"]
    raw_id_fields = ["case", "acknowledged_by"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["recipient", "kind", "subject", "created_on", "read_at", "digest"]
    list_filter = ["kind", "created_on"]
    search_fields = ["subject", "recipient__username", "recipient__name"]
    list_select_related = ["recipient", "digest"]
    raw_id_fields = ["recipient", "alert", "case", "digest"]


@admin.register(EmailDigest)
class EmailDigestAdmin(ReadOnlyAdmin):
    list_display = ["recipient", "day", "email", "sent_at", "attempts", "error"]
    list_filter = ["day"]
    list_select_related = ["recipient"]


@admin.register(ClearancePlan)
class ClearancePlanAdmin(ReadOnlyAdmin):
    list_display = ["case", "version", "status", "reason", "expected_close_on", "author", "reviewer"]
    list_filter = ["status", "reason"]
    search_fields = ["case__case_number"]
    list_select_related = ["case", "author", "reviewer"]
    raw_id_fields = ["case", "author", "reviewer"]


class DispatchItemInline(admin.TabularInline):
    model = DispatchItem
    fields = ["case", "handler", "level", "crossed_level", "missing_plan", "overdue_plan", "over_15m", "outcome"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("case", "handler")


@admin.register(DispatchList)
class DispatchListAdmin(ReadOnlyAdmin):
    list_display = ["division", "week_start", "week_end", "head", "acknowledged_at"]
    list_filter = ["week_start", "division"]
    list_select_related = ["division", "head"]
    inlines = [DispatchItemInline]


@admin.register(DispatchItem)
class DispatchItemAdmin(ReadOnlyAdmin):
    list_display = ["dispatch_list", "case", "handler", "level", "missing_plan", "overdue_plan", "outcome"]
    list_filter = ["dispatch_list__week_start", "missing_plan", "overdue_plan", "over_15m", "outcome"]
    search_fields = ["case__case_number"]
    list_select_related = ["dispatch_list__division", "case", "handler"]


@admin.register(UrgingNotice)
class UrgingNoticeAdmin(ReadOnlyAdmin):
    list_display = ["item", "handler", "sent_on", "read_at", "answered_at", "new_expected_on"]
    list_filter = ["sent_on"]
    list_select_related = ["item__case", "item__dispatch_list__division", "handler"]
    raw_id_fields = ["item", "handler"]
