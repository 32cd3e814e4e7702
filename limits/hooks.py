"""The clock's part in the case register: the `cases.extensions` hook `limits` registers at
start-up (LimitsConfig.ready). Every write of a case reaches the clock here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases import dates
from cases.extensions import CaseExtension, Change
from cases.models import Case, CaseStatus, Court, User

from . import rule, services


class _ClockField(serializers.Field):
    """One of (deadline, days remaining, status) of `rule.limit_fields` as of the request's
    `as_of`: read from `rule.annotate_clock`'s columns when the case came through it."""

    index = 0

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, case: Case):
        value = rule.limit_fields(case, self.context["as_of"])[self.index]
        return value.isoformat() if isinstance(value, dt.date) else value


@extend_schema_field({"type": "string", "format": "date", "nullable": True})
class DeadlineField(_ClockField):
    index = 0


@extend_schema_field({"type": "integer", "nullable": True})
class DaysRemainingField(_ClockField):
    index = 1


@extend_schema_field({"type": "string", "nullable": True})
class LimitStatusField(_ClockField):
    index = 2


class ClockExtension(CaseExtension):
    def prepare_new(self, cases: list[Case], today: dt.date) -> None:
        services.prepare_new_clocks(cases, today)

    def registered(self, actor: User | None, cases: list[Case], today: dt.date) -> None:
        services.record_initial_periods(actor, cases, today)

    def effective_on_bounds(self, changes: list[Change]) -> dict[int, list[dates.Bound]]:
        suspending = {
            case.pk for before, case, changed in changes if "status" in changed and case.status == CaseStatus.SUSPENDED
        }
        resuming = {
            case.pk
            for before, case, changed in changes
            if "status" in changed and before == CaseStatus.SUSPENDED and case.status == CaseStatus.OPEN
        }
        if not suspending | resuming:
            return {}
        bounds: dict[int, list[dates.Bound]] = {}
        for case_id, (running_start, last_end) in services.suspension_bounds(list(suspending | resuming)).items():
            if case_id in suspending and last_end is not None:
                bounds.setdefault(case_id, []).append(dates.after_previous_suspension(last_end))
            if case_id in resuming and running_start is not None:
                bounds.setdefault(case_id, []).append(dates.not_before_suspension(running_start))
        return bounds

    def changed(self, actor: User | None, changes: list[Change], effective_on: dt.date, today: dt.date) -> None:
        services.after_cases_change(actor, changes, effective_on, today=today)

    def seeded(self, court: Court, today: dt.date) -> None:
        # The demo's rows carry the clock `prepare_new` worked out (rule and deadline, suspended
        # cases stopped from today); what remains is each suspended case's running period.
        services.open_initial_suspensions(Case.objects.filter(court=court), today)

    def annotate(self, queryset: QuerySet, as_of: dt.date) -> QuerySet:
        return rule.annotate_clock(queryset, as_of)

    def api_fields(self) -> dict[str, Any]:
        return {
            "deadline": DeadlineField(
                help_text="Statutory deadline (审限届满日) as of as_of, YYYY-MM-DD: filing + base limit + approved "
                "extensions + excluded days, moved to the next working day; null when not open on as_of or no "
                "limit applies."
            ),
            "days_remaining": DaysRemainingField(
                help_text="Days from as_of to the deadline (0 on the deadline), negative when overdue; null like "
                "deadline."
            ),
            "limit_status": LimitStatusField(
                help_text="within, warning (30 days or less left) or overdue (past the deadline); null like deadline."
            ),
        }
