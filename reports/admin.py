"""Admin for bulletins and figure snapshots: for looking and correcting drafts' metadata only.

Items, figures and snapshots are written by the jobs; the admin shows them read-only, and a
published bulletin cannot be changed or deleted here (its PDF hash is the proof it is unchanged).
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyInline

from .models import Bulletin, BulletinFigure, BulletinItem, BulletinSignOff, FigureSnapshot


class BulletinFigureInline(ReadOnlyInline):
    model = BulletinFigure
    fields = [
        "scope",
        "division_name",
        "handler_name",
        "open_cases",
        "listed",
        "over_12m",
        "over_15m",
        "new_listed",
        "cleared",
        "still_listed",
        "listed_last_year",
        "received",
        "closed",
        "closed_limited",
        "closed_on_time",
        "extended",
        "overdue",
        "hidden_flags",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        # The court and division rows; handler rows are many and live on the bulletin page.
        return super().get_queryset(request).exclude(scope="handler")


class BulletinSignOffInline(ReadOnlyInline):
    model = BulletinSignOff
    fields = ["division", "signed_by", "signed_at", "note"]
    readonly_fields = fields


@admin.register(Bulletin)
class BulletinAdmin(admin.ModelAdmin):
    list_display = ["period", "court", "status", "title", "as_of", "built_at", "published_by", "published_at"]
    list_filter = ["status", "court"]
    list_select_related = ["court", "published_by"]
    readonly_fields = [f.name for f in Bulletin._meta.fields]
    inlines = [BulletinFigureInline, BulletinSignOffInline]

    @admin.display(description=_("issue"))
    def title(self, obj):
        return obj.title

    def has_add_permission(self, request):
        return False  # built by the job: python manage.py build_bulletin

    def has_delete_permission(self, request, obj=None):
        # A draft may be thrown away (the next run rebuilds it); a published one is a record.
        return super().has_delete_permission(request, obj) and (obj is None or not obj.is_published)


@admin.register(BulletinItem)
class BulletinItemAdmin(admin.ModelAdmin):
    list_display = [
        "case_number",
        "bulletin",
        "division_name",
        "handler_name",
        "age_months",
        "key_warning",
        "newly_listed",
        "plan_status",
    ]
    list_filter = ["key_warning", "newly_listed", "plan_status", "bulletin__period"]
    search_fields = ["case_number", "handler_name"]
    list_select_related = ["bulletin", "bulletin__court"]
    readonly_fields = [f.name for f in BulletinItem._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BulletinSignOff)
class BulletinSignOffAdmin(admin.ModelAdmin):
    list_display = ["bulletin", "division", "signed_by", "signed_at"]
    list_filter = ["division"]
    list_select_related = ["bulletin", "bulletin__court", "division", "signed_by"]
    readonly_fields = ["bulletin", "division", "signed_by", "signed_at", "note"]

    def has_add_permission(self, request):
        return False  # signed on the bulletin page by the division head


@admin.register(FigureSnapshot)
class FigureSnapshotAdmin(admin.ModelAdmin):
    list_display = [
        "as_of",
        "division",
        "handler",
        "open_cases",
        "over_6m",
        "over_12m",
        "over_15m",
        "approaching_6m",
        "approaching_15m",
        "received_day",
        "closed_day",
        "overdue",
        "hidden_flags",
    ]
    list_filter = ["as_of", "division"]
    list_select_related = ["division", "handler"]
    date_hierarchy = "as_of"
    readonly_fields = [f.name for f in FigureSnapshot._meta.fields]

    def has_add_permission(self, request):
        return False  # python manage.py snapshot_figures

    def has_change_permission(self, request, obj=None):
        return False
