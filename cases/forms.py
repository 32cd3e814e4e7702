"""Forms of the case pages. They collect and clean what people type; the rules that decide
whether a change is allowed live in cases.services, whose ValidationErrors (keyed by field)
are put back beside the fields with `apply_service_errors`."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from common.forms import DateInput, IsoDateField, apply_service_errors  # noqa: F401  (used by the forms below)

from . import ageing, case_numbers
from .case_numbers import CASE_TYPE_CHOICES, Category
from .models import Case, CaseStatus, ClosureMethod, Division, Procedure, User
from .roles import Role


def staff_with_role(role: str, court_id: int | None = None) -> QuerySet[User]:
    qs = User.objects.filter(is_active=True, groups__name=role).select_related("division")
    if court_id:
        qs = qs.filter(court_id=court_id)
    return qs.order_by("division__sort_order", "name", "username").distinct()


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        if obj.division_id:
            return f"{obj}（{obj.division.name}）"
        return str(obj)


# --- search ------------------------------------------------------------------------------

SORTS = {
    "-filed_on": ("-filed_on", "-id"),
    "filed_on": ("filed_on", "id"),
    "case_number": ("year", "court_code", "case_type", "seq"),
    "-case_number": ("-year", "court_code", "case_type", "-seq"),
}


class CaseSearchForm(forms.Form):
    """The filters of the case list; the same names as the API's query parameters."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Case number (either bracket form), cause of action or party."),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Open and suspended")), ("all", _("All"))] + list(CaseStatus.choices),
    )
    level = forms.ChoiceField(
        label=_("Ageing level"),
        required=False,
        choices=[("", _("Any"))] + [c for c in ageing.Level.CHOICES if c[0] != ageing.Level.CLOSED],
    )
    over = forms.ChoiceField(
        label=_("Open for more than"),
        required=False,
        choices=[("", _("Any")), ("6", _("6 months")), ("12", _("12 months")), ("15", _("15 months"))],
    )
    division = forms.ModelChoiceField(
        label=_("Division"), required=False, queryset=Division.objects.none(), empty_label=_("Any")
    )
    handler = StaffChoiceField(label=_("Handler"), required=False, queryset=User.objects.none(), empty_label=_("Any"))
    category = forms.ChoiceField(label=_("Category"), required=False, choices=[("", _("Any"))] + Category.CHOICES)
    case_type = forms.ChoiceField(label=_("Case type"), required=False, choices=[("", _("Any"))] + CASE_TYPE_CHOICES)
    procedure = forms.ChoiceField(
        label=_("Procedure"), required=False, choices=[("", _("Any"))] + list(Procedure.choices)
    )
    filed_after = IsoDateField(label=_("Filed from"), required=False)
    filed_before = IsoDateField(label=_("Filed until"), required=False)
    mine = forms.BooleanField(label=_("Only my cases"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("-filed_on", _("Filing date, newest first")),
            ("filed_on", _("Filing date, oldest first")),
            ("case_number", _("Case number")),
            ("-case_number", _("Case number, descending")),
        ],
    )

    def __init__(self, *args, divisions: QuerySet[Division], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = divisions
        self.fields["handler"].queryset = staff_with_role(Role.HANDLER).filter(division__in=divisions)

    def clean(self):
        data = super().clean()
        after, before = data.get("filed_after"), data.get("filed_before")
        if after and before and after > before:
            self.add_error("filed_before", _("The end date is before the start date."))
        return data

    def apply(self, qs: QuerySet[Case], user: User, as_of: dt.date, warning_days: int) -> QuerySet[Case]:
        # A filter typed wrong is shown with its error; the valid ones still apply.
        data: dict = {}
        if self.is_bound:
            self.is_valid()
            data = self.cleaned_data
        q = (data.get("q") or "").strip()
        if q:
            try:
                # A whole case number, in either bracket form: its parts find it on the
                # case-number index (year, court, type, sequence) at once.
                number = case_numbers.parse(q)
                qs = qs.filter(
                    year=number.year, court_code=number.court_code, case_type=number.type_code, seq=number.seq
                )
            except ValidationError:
                number = case_numbers.normalise(q)
                # Case-sensitive LIKE, as in the API: the pg_trgm indexes serve it (Chinese has no case).
                qs = qs.filter(Q(case_number__contains=number) | Q(cause__contains=q) | Q(parties__contains=q))
        status = data.get("status") or ""
        if status == "":
            # Open today: a closing date is never in the future, so "closed_on IS NULL" says the
            # same as the ageing rule's open-on-date test and lets PostgreSQL use the partial
            # indexes on the lines of open cases.
            qs = qs.filter(status__in=[CaseStatus.OPEN, CaseStatus.SUSPENDED], closed_on__isnull=True)
        elif status != "all":
            qs = qs.filter(status=status)
        if data.get("level"):
            qs = qs.filter(ageing.level_q(data["level"], as_of, warning_days))
        if data.get("over"):
            qs = qs.filter(ageing.over_line_q(int(data["over"]), as_of))
        if data.get("division"):
            qs = qs.filter(division=data["division"])
        if data.get("handler"):
            qs = qs.filter(handler=data["handler"])
        if data.get("mine"):
            qs = qs.filter(Q(handler=user) | Q(clerk=user))
        if data.get("category"):
            qs = qs.filter(category=data["category"])
        if data.get("case_type"):
            qs = qs.filter(case_type=data["case_type"])
        if data.get("procedure"):
            qs = qs.filter(procedure=data["procedure"])
        if data.get("filed_after"):
            qs = qs.filter(filed_on__gte=data["filed_after"])
        if data.get("filed_before"):
            qs = qs.filter(filed_on__lte=data["filed_before"])
        sort = data.get("sort") or "-filed_on"
        line = self._line_filtered(data)
        if line and sort in ("-filed_on", "filed_on") and status == "":
            # A line grows with the filing date, so ordering by the line filtered on is ordering
            # by filing date, and walks the partial index of that line instead of every case.
            desc = "-" if sort.startswith("-") else ""
            return qs.order_by(f"{desc}{line}", f"{desc}filed_on", f"{desc}id")
        return qs.order_by(*SORTS.get(sort, SORTS["-filed_on"]))

    @staticmethod
    def _line_filtered(data: dict) -> str | None:
        level, over = data.get("level"), data.get("over")
        if over in ("6", "15"):
            return f"line_{over}m"
        if level in (ageing.Level.OVER_15M, ageing.Level.APPROACHING_15M):
            return "line_15m"
        if level in (ageing.Level.OVER_6M, ageing.Level.APPROACHING_6M):
            return "line_6m"
        return None


# --- register and change -------------------------------------------------------------------


class CaseRegisterForm(forms.Form):
    case_number = forms.CharField(
        label=_("Case number"),
        max_length=60,
        help_text=_("For example （2024）黔0281民初1234号; half-width brackets are fine."),
    )
    filed_on = IsoDateField(label=_("Filing date"))
    procedure = forms.ChoiceField(
        label=_("Procedure"),
        required=False,
        choices=[("", _("Default for the case type"))] + list(Procedure.choices),
    )
    cause = forms.CharField(label=_("Cause of action"), max_length=200, required=False)
    parties = forms.CharField(
        label=_("Parties"), max_length=500, required=False, help_text=_("For example 张三诉李四.")
    )
    division = forms.ModelChoiceField(label=_("Division"), queryset=Division.objects.none())
    handler = StaffChoiceField(label=_("Handler"), required=False, queryset=User.objects.none())
    clerk = StaffChoiceField(label=_("Clerk"), required=False, queryset=User.objects.none())
    business_environment = forms.BooleanField(label=_("Concerns the business environment"), required=False)

    def __init__(self, *args, court_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        divisions = Division.objects.all()
        if court_id:
            divisions = divisions.filter(court_id=court_id)
        self.fields["division"].queryset = divisions
        self.fields["handler"].queryset = staff_with_role(Role.HANDLER, court_id)
        self.fields["clerk"].queryset = staff_with_role(Role.CLERK, court_id)


class SuspendForm(forms.Form):
    on = IsoDateField(label=_("Suspended on"))
    note = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class ResumeForm(forms.Form):
    on = IsoDateField(label=_("Resumed on"))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class TransferForm(forms.Form):
    division = forms.ModelChoiceField(label=_("New division"), required=False, queryset=Division.objects.none())
    handler = StaffChoiceField(label=_("New handler"), required=False, queryset=User.objects.none())
    on = IsoDateField(label=_("Transferred on"))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, court_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = Division.objects.filter(court_id=court_id) if court_id else Division.objects
        self.fields["handler"].queryset = staff_with_role(Role.HANDLER, court_id)

    def clean(self):
        data = super().clean()
        if not data.get("division") and not data.get("handler"):
            raise ValidationError(_("Choose a new division or a new handler."))
        return data


class CloseForm(forms.Form):
    closed_on = IsoDateField(label=_("Closing date"))
    closure_method = forms.ChoiceField(label=_("Closure method"), choices=[("", "—")] + list(ClosureMethod.choices))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ReopenForm(forms.Form):
    note = forms.CharField(label=_("Why the closing was recorded in error"), widget=forms.Textarea(attrs={"rows": 3}))


ACTION_FORMS = {
    "suspend": SuspendForm,
    "resume": ResumeForm,
    "transfer": TransferForm,
    "close": CloseForm,
    "reopen": ReopenForm,
}


# --- staff changes -------------------------------------------------------------------------


class ReassignForm(forms.Form):
    from_handler = StaffChoiceField(label=_("Departing handler"), queryset=User.objects.none())
    to_handler = StaffChoiceField(label=_("New handler"), queryset=User.objects.none())
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args, divisions: QuerySet[Division], **kwargs):
        super().__init__(*args, **kwargs)
        # Anyone who still handles open cases here may be leaving (even if already deactivated).
        self.fields["from_handler"].queryset = (
            User.objects.filter(handled_cases__division__in=divisions, handled_cases__closed_on__isnull=True)
            .select_related("division")
            .distinct()
            .order_by("name", "username")
        )
        self.fields["to_handler"].queryset = staff_with_role(Role.HANDLER).filter(division__in=divisions)

    def clean(self):
        data = super().clean()
        if data.get("from_handler") and data.get("from_handler") == data.get("to_handler"):
            self.add_error("to_handler", _("Choose someone other than the departing handler."))
        return data


class ActingHeadForm(forms.Form):
    division = forms.ModelChoiceField(label=_("Division"), queryset=Division.objects.none())
    acting_head = StaffChoiceField(label=_("Acting head"), required=False, queryset=User.objects.none())
    acting_from = IsoDateField(label=_("From"), required=False)
    acting_until = IsoDateField(label=_("Until"), required=False)

    def __init__(self, *args, divisions: QuerySet[Division], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = divisions
        self.fields["acting_head"].queryset = staff_with_role(Role.HANDLER)

    def clean(self):
        data = super().clean()
        start, end = data.get("acting_from"), data.get("acting_until")
        if data.get("acting_head") and not (start and end):
            self.add_error("acting_until", _("Give the first and the last day of the period."))
        if start and end and end < start:
            self.add_error("acting_until", _("The end date is before the start date."))
        return data


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("XLSX or CSV with a header row; columns are matched by their Chinese or English names."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not count uploaded files: refuse a large one
        # here, before it is stored or parsed. A full batch of 1,000 rows is far below the limit.
        limit = getattr(settings, "CASE_IMPORT_MAX_BYTES", settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        if upload.size > limit:
            raise ValidationError(
                _("The file is %(size)s KB; at most %(limit)s KB can be imported at once.")
                % {"size": f"{upload.size // 1024:,}", "limit": f"{limit // 1024:,}"}
            )
        return upload
