"""Forms of the case page's time-limit section: excluded periods and extensions.

They only collect input; every rule (dates, overlaps, legal maxima, who decides) is checked by
cases.limits_services, whose errors are shown beside the matching fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .forms import DateInput
from .limits_models import ExclusionReason, LimitUnit

TEXTAREA = {"rows": 3}


class PeriodForm(forms.Form):
    reason_code = forms.ChoiceField(label=_("Reason"), choices=ExclusionReason.choices)
    start = forms.DateField(label=_("First day"), widget=DateInput())
    end = forms.DateField(
        label=_("Last day"), required=False, widget=DateInput(), help_text=_("Leave empty while the period runs.")
    )
    reason = forms.CharField(label=_("Explanation"), required=False, widget=forms.Textarea(attrs=TEXTAREA))
    document_ref = forms.CharField(label=_("Document reference"), required=False, max_length=200)


class EndPeriodForm(forms.Form):
    end = forms.DateField(label=_("Last day"), widget=DateInput())


class ExtensionRequestForm(forms.Form):
    length = forms.IntegerField(label=_("Length"), min_value=1, max_value=32767)
    unit = forms.ChoiceField(label=_("Unit"), choices=LimitUnit.choices, initial=LimitUnit.MONTHS)
    reason = forms.CharField(label=_("Reason for the extension"), widget=forms.Textarea(attrs=TEXTAREA))
    document_ref = forms.CharField(label=_("Document reference"), required=False, max_length=200)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("refuse", _("Refuse"))],
        widget=forms.RadioSelect,
    )
    by_higher_court = forms.BooleanField(label=_("Decided by a higher court (recorded here)"), required=False)
    decided_on = forms.DateField(label=_("Decided on"), widget=DateInput())
    document_ref = forms.CharField(label=_("Document reference"), required=False, max_length=200)
