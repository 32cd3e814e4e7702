"""Forms of the escalation pages. The rules are in alerts.services; these collect the input."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import IsoDateField

from .models import PlanReason


class PlanForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason not yet closed"), choices=[("", "—")] + list(PlanReason.choices))
    reason_text = forms.CharField(
        label=_("Reason details"), required=False, max_length=500, help_text=_("Required when the reason is Other.")
    )
    expected_close_on = IsoDateField(label=_("Expected closing date"))
    steps = forms.CharField(label=_("Steps to close"), widget=forms.Textarea(attrs={"rows": 4}))


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the plan is returned."),
    )


class UrgingAnswerForm(forms.Form):
    # Required by the service, which checks the answer and the date together.
    answer = forms.CharField(label=_("What was done"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    new_expected_on = IsoDateField(label=_("New expected closing date"), required=False)
