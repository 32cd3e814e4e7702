"""Filters for figures on the report pages and the bulletin PDF."""

from __future__ import annotations

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()

NOTHING = "—"


@register.filter
def percent(value: float | None) -> str:
    """A ratio (0–1) as a percentage with one decimal, e.g. 0.6667 → 66.7%; "—" for None
    (nothing to divide by, e.g. no case closed)."""
    if value is None:
        return NOTHING
    return f"{floatformat(value * 100, 1)}%"


@register.filter
def one_decimal(value: float | None) -> str:
    """A mean with one decimal, e.g. 3.3333 → 3.3; "—" for None."""
    if value is None:
        return NOTHING
    return floatformat(value, 1)
