"""The form of the jobs page: which job, for which date, now or queued."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from common import dates
from common.forms import IsoDateField


class RunJobForm(forms.Form):
    job = forms.ChoiceField(label=_("Job"), choices=[])
    # The jobs move the date a week or a month; at the calendar's ends that overflows.
    as_of = IsoDateField(label=_("For the date"), validators=[dates.validate_read_date])
    now = forms.BooleanField(
        label=_("Run it now and wait for the result"),
        required=False,
        help_text=_("Otherwise it is queued for the worker."),
    )

    def __init__(self, *args, jobs, **kwargs):
        """`jobs`: the declared jobs a person may start (jobs.registry.runnable())."""
        super().__init__(*args, **kwargs)
        self.fields["job"].choices = [(job.name, job.label) for job in jobs]
