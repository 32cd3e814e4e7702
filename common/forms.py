"""Form helpers every page uses: the ISO date field, and a service's errors put beside the fields."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError

from . import dates


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class IsoDateField(forms.DateField):
    """A date typed as YYYY-MM-DD only (common.dates.parse_iso_date), what the browser's date
    field sends: `2024-3-1`, full-width digits and the locale's other spellings are refused
    with a message. Whether the date is allowed is the services' business (cases/dates.py)."""

    widget = DateInput
    default_error_messages = {"invalid": dates.ISO_MESSAGE}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dates.parse_iso_date(str(value).strip())
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError beside the matching fields (or above the form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields else None
            for item in errors:
                form.add_error(target, item)
    else:
        form.add_error(None, error)
