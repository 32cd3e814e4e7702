"""Filters every API list shares: strict dates within the reading range, and `updated_since`."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters

from . import dates


class StrictDateFilter(filters.DateFilter):
    """YYYY-MM-DD only, whatever the request's language, within common.dates' reading range."""

    field_class = forms.DateField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        kwargs.setdefault("validators", [dates.validate_read_date])
        super().__init__(*args, **kwargs)


class UpdatedSinceField(forms.CharField):
    """A date (its midnight in Asia/Shanghai) or an ISO 8601 date-time with any UTC offset up to
    ±23:59, within common.dates' reading range; cleaned to an aware datetime in UTC, because PostgreSQL
    refuses offsets beyond ±15:59 in a timestamp literal."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            when = parse_datetime(value)  # ValueError: well formed but impossible (25:00, +24:00)
        except ValueError:
            when = None
        else:
            if when is None:
                try:
                    day = dt.date.fromisoformat(value) if len(value) == 10 else None
                except ValueError:
                    day = None
                when = dt.datetime.combine(day, dt.time.min) if day is not None else None
        if when is None:
            raise forms.ValidationError(_("Enter a date (YYYY-MM-DD) or an ISO 8601 date-time."))
        if timezone.is_naive(when):
            if not dates.in_read_range(when.date()):
                raise forms.ValidationError(dates.read_range_message())
            when = timezone.make_aware(when)
        moment = dates.moment_in_utc(when)
        if moment is None:
            raise forms.ValidationError(dates.read_range_message())
        return moment


class UpdatedSinceFilter(filters.Filter):
    """Changed at or after this moment (a date means its midnight in Asia/Shanghai)."""

    field_class = UpdatedSinceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("lookup_expr", "gte")
        super().__init__(*args, **kwargs)
