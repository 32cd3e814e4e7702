"""The audit trail's contribution to the case page (see cases.views.contributions)."""

from __future__ import annotations

from django.http import HttpRequest

from .selectors import case_trail


def case_sections(request: HttpRequest, case) -> list[dict]:
    # The case page already checked that this person may see the case.
    return [{"template": "audit/case_section.html", "trail": case_trail(case, limit=50)}]
