"""Forms of the case page's time-limit section: excluded periods and extensions.

They only collect input; every rule (dates, overlaps, legal maxima, who decides) is checked by
cases.limits_services, whose errors are shown beside the matching fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import IsoDateField

from .models import ExclusionReason, LimitUnit

TEXTAREA = {"rows": 3}


class PeriodForm(forms.Form):
    reason_code = forms.ChoiceField(label=_("Reason"), choices=ExclusionReason.choices)
    start = IsoDateField(label=_("First day"))
    end = IsoDateField(label=_("Last day"), required=False, help_text=_("Leave empty while the period runs."))
    reason = forms.CharField(label=_("Explanation"), required=False, widget=forms.Textarea(attrs=TEXTAREA))
    document_ref = forms.CharField(label=_("Document reference"), required=False, max_length=200)


class EndPeriodForm(forms.Form):
    end = IsoDateField(label=_("Last day"))


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
    decided_on = IsoDateField(label=_("Decided on"))
    document_ref = forms.CharField(label=_("Document reference"), required=False, max_length=200)
