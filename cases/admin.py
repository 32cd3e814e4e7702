from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyAdmin

from . import ageing, case_numbers, services
from .models import Case, CaseEvent, CaseLink, Court, Division, User


@admin.register(Court)
class CourtAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "warning_window_days"]


class DivisionAdminForm(forms.ModelForm):
    """The acting period under the same rules as everywhere else (cases.services.acting_head_errors)."""

    def clean(self):
        cleaned = super().clean()
        if "acting_head" in self.fields:
            errors = services.acting_head_errors(
                cleaned.get("acting_head"), cleaned.get("acting_from"), cleaned.get("acting_until")
            )
            for field, messages in errors.items():
                self.add_error(field if field in self.fields else None, messages)
        return cleaned


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    form = DivisionAdminForm
    list_display = ["name", "code", "kind", "head", "acting_head", "vice_president", "tracking_officer"]
    list_filter = ["kind", "court"]
    search_fields = ["name", "code"]
    list_select_related = ["head", "acting_head", "vice_president", "tracking_officer"]
    autocomplete_fields = ["head", "acting_head", "vice_president", "tracking_officer"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "name", "division", "role_list", "is_active"]
    list_filter = ["is_active", "groups", "division"]
    search_fields = ["username", "name"]
    list_select_related = ["division"]
    fieldsets = BaseUserAdmin.fieldsets + ((_("Court"), {"fields": ("name", "court", "division")}),)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("roles"))
    def role_list(self, obj):
        return ", ".join(sorted(obj.roles))


class AgeingLevelFilter(admin.SimpleListFilter):
    title = _("ageing level")
    parameter_name = "ageing"

    def lookups(self, request, model_admin):
        return ageing.Level.CHOICES

    def queryset(self, request, queryset):
        if self.value() in dict(ageing.Level.CHOICES):
            court = queryset.model.court.field.related_model.default()
            window = court.warning_window_days if court else ageing.DEFAULT_WARNING_DAYS
            return queryset.filter(ageing.level_q(self.value(), timezone.localdate(), window))
        return queryset


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ["occurred_at", "kind", "actor", "effective_on", "before", "after", "note"]
    readonly_fields = fields
    ordering = ["occurred_at", "id"]

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class CaseLinkInline(admin.TabularInline):
    model = CaseLink
    fk_name = "case"
    extra = 0
    raw_id_fields = ["target"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["case_number", "cause", "division", "handler", "filed_on", "status", "closed_on"]
    list_filter = ["status", "division", "case_type", "category", "procedure", AgeingLevelFilter]
    search_fields = ["case_number", "cause", "parties", "external_id"]
    list_select_related = ["division", "handler"]
    raw_id_fields = ["handler", "clerk"]
    readonly_fields = [
        "year",
        "court_code",
        "case_type",
        "seq",
        "category",
        "stage",
        "line_6m",
        "line_12m",
        "line_15m",
        "created_at",
        "updated_at",
    ]
    inlines = [CaseLinkInline, CaseEventInline]
    date_hierarchy = "filed_on"
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        # Either parenthesis form finds the case: search the normal spelling.
        return super().get_search_results(request, queryset, case_numbers.normalise(search_term))

    def save_model(self, request, obj, form, change):
        # The admin is a repair tool; still go through the service so events are written.
        from . import services

        if change:
            changes = {f: form.cleaned_data[f] for f in form.changed_data if f in services.EDITABLE_FIELDS}
            services.change_case(request.user, obj, changes, note=str(_("Changed in the admin")))
        else:
            data = {f: form.cleaned_data.get(f) for f in services.EDITABLE_FIELDS if f in form.cleaned_data}
            new = services.register_case(request.user, court=form.cleaned_data.get("court"), **data)
            obj.pk = new.pk


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = ["case", "kind", "actor", "occurred_at", "effective_on"]
    list_filter = ["kind"]
    search_fields = ["case__case_number"]
    list_select_related = ["case", "actor"]
    raw_id_fields = ["case"]
