"""Writes for the statutory time limit: excluded periods, extensions, the stored clock, the
calendar overrides and the daily hidden-overrun check.

`recompute_clock` is the one writer of a case's deadline fields. Every service that changes
an input of the rule (filing date, procedure, case type, closing, periods, extensions) calls
it; `cases.services.change_case` reaches `after_case_change` for changes to the case itself
through the hooks of limits/hooks.py.
Nothing here runs from a signal.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case as SqlCase
from django.db.models import Count, DateField, Exists, F, Max, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import dates
from cases.models import Case, CaseLink, CaseLinkKind, CaseStatus, User
from cases.permissions import can_decide_extension
from cases.services import resume_case
from common.history import record_bulk
from common.sql import update_rows

from . import rule as limits
from .calendar import working_calendar
from .models import (
    Approver,
    ExcludedPeriod,
    ExclusionReason,
    Extension,
    ExtensionStatus,
    HiddenOverrunFlag,
    HiddenOverrunRule,
    LimitRule,
    WorkingDay,
    WorkingDayOverride,
)

CLOCK_INPUTS = {"filed_on", "procedure", "case_number", "status", "closed_on", "limit_variant"}


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


# --- the stored clock -------------------------------------------------------------------------


CLOCK_FIELDS = ("limit_rule", "limit_nominal", "limit_raw", "limit_paused_from", "limit_excluded_days", "deadline")


def recompute_clock(case: Case, today: dt.date | None = None) -> Case:
    """Recompute and store the case's rule, deadline state and deadline (as of `today`)."""
    recompute_clocks([case], today)
    return case


def recompute_clocks(cases: list[Case], today: dt.date | None = None) -> None:
    """Recompute and store the rule, deadline state and deadline of saved cases (as of `today`):
    the rules, approved extensions, excluded periods and calendar in one query each, the clocks in
    memory, then one UPDATE."""
    today = today or timezone.localdate()
    if not cases:
        return
    ids = [case.pk for case in cases]
    rules = list(LimitRule.objects.filter(active=True))
    extensions: dict[int, list] = defaultdict(list)
    approved = Extension.objects.filter(case_id__in=ids, status=ExtensionStatus.APPROVED)
    for case_id, length, unit in approved.order_by("case_id", "step", "decided_on", "id").values_list(
        "case_id", "length", "unit"
    ):
        extensions[case_id].append((length, unit))
    periods: dict[int, list] = defaultdict(list)
    for case_id, start, end in ExcludedPeriod.objects.filter(case_id__in=ids).values_list("case_id", "start", "end"):
        periods[case_id].append((start, end))
    clocks = []
    for case in cases:
        rule = limits.pick_rule(rules, case.category, case.stage, case.procedure, case.limit_variant)
        if rule is None:
            clocks.append((case, rule, None, None))
            continue
        state = limits.clock_state(
            case.filed_on, (rule.base_length, rule.base_unit), extensions[case.pk], periods[case.pk]
        )
        # A closed case is measured at its closing date; an open one as of today.
        measured = case.closed_on or today
        clocks.append((case, rule, state, measured))
    raws = [limits.raw_on(state, measured) for _c, _r, state, measured in clocks if state is not None]
    is_working = working_calendar(min(raws), max(raws)) if raws else None
    now = timezone.now()
    for case, rule, state, measured in clocks:
        _set_clock(case, rule, state, measured, is_working)
        case.updated_at = now  # seen by incremental sync (updated_since)
    update_rows(Case, cases, [*CLOCK_FIELDS, "updated_at"])


def recompute_clocks_of(queryset: QuerySet, today: dt.date | None = None, chunk: int = 500) -> int:
    """recompute_clocks over the cases of `queryset`, a chunk at a time (a few statements per
    chunk; memory stays flat). Returns the number of cases."""
    columns = ("id", "filed_on", "category", "stage", "procedure", "limit_variant", "closed_on")
    batch: list[Case] = []
    count = 0
    for case in queryset.only(*columns).iterator(chunk_size=chunk):
        batch.append(case)
        if len(batch) == chunk:
            recompute_clocks(batch, today)
            count, batch = count + len(batch), []
    recompute_clocks(batch, today)
    return count + len(batch)


def _set_clock(case: Case, rule, state, measured: dt.date | None, is_working) -> None:
    """The clock fields of `case` in memory from its rule and clock state (None: no rule)."""
    case.limit_rule = rule
    case.limit_nominal = state.nominal if state else None
    case.limit_raw = state.raw if state else None
    case.limit_paused_from = state.paused_from if state else None
    case.limit_excluded_days = state.excluded_days if state else 0
    case.deadline = limits.deadline_on(state, measured, is_working) if state else None


def prepare_new_clocks(cases: list[Case], today: dt.date | None = None) -> None:
    """Set the clock fields of new, unsaved cases in memory (bulk registration): no extensions
    yet, and a case registered as suspended gets a suspension running from `today`."""
    today = today or timezone.localdate()
    rules = list(LimitRule.objects.filter(active=True))
    if not cases:
        return
    first = min(c.filed_on for c in cases)
    is_working = working_calendar(first, max(today, *(c.closed_on or today for c in cases)) + dt.timedelta(days=800))
    for case in cases:
        rule = limits.pick_rule(rules, case.category, case.stage, case.procedure, case.limit_variant)
        state = None
        if rule is not None:
            periods = [(today, None)] if case.status == CaseStatus.SUSPENDED else []
            state = limits.clock_state(case.filed_on, (rule.base_length, rule.base_unit), (), periods)
        _set_clock(case, rule, state, case.closed_on or today, is_working)


def initialise_clocks(queryset: QuerySet | None = None, today: dt.date | None = None) -> int:
    """Clocks for cases loaded in bulk that have no periods or extensions yet (demo data, large
    imports): one UPDATE per combination of category, stage, procedure and variant (a few dozen,
    whatever the number of cases), then one for the deadlines. A case loaded as suspended gets a
    suspension running from `today`. Returns the number of cases given a rule."""
    today = today or timezone.localdate()
    qs = Case.objects.all() if queryset is None else queryset
    if connection.vendor != "postgresql":
        return _initialise_clocks_in_python(qs, today)
    rules = list(LimitRule.objects.filter(active=True))
    total = 0
    combos = qs.values_list("category", "stage", "procedure", "limit_variant").distinct().order_by()
    for category, stage, procedure, variant in combos:
        group = qs.filter(category=category, stage=stage, procedure=procedure, limit_variant=variant)
        rule = limits.pick_rule(rules, category, stage, procedure, variant)
        if rule is None:
            group.update(
                limit_rule=None,
                limit_nominal=None,
                limit_raw=None,
                limit_paused_from=None,
                limit_excluded_days=0,
                deadline=None,
            )
            continue
        nominal = limits.AddLength(F("filed_on"), Value(rule.base_length), unit=rule.base_unit)
        total += group.update(
            limit_rule=rule,
            limit_nominal=nominal,
            limit_raw=nominal,
            limit_paused_from=SqlCase(
                When(status=CaseStatus.SUSPENDED, then=Value(today)), default=None, output_field=DateField()
            ),
            limit_excluded_days=0,
        )
    with_rule = qs.filter(limit_rule__isnull=False)
    _store_deadlines(with_rule.filter(closed_on__isnull=True), today)
    closed = with_rule.filter(closed_on__isnull=False)
    _store_deadlines(closed, today)  # no periods: the deadline is the raw date's next working day
    open_initial_suspensions(with_rule, today)
    return total


def open_initial_suspensions(queryset: QuerySet, today: dt.date) -> None:
    """The running suspension period, from `today`, of each case of `queryset` loaded in bulk as
    suspended with a time limit and without one (the clocks were prepared with it)."""
    suspended = queryset.filter(limit_rule__isnull=False, status=CaseStatus.SUSPENDED).exclude(
        Exists(ExcludedPeriod.objects.filter(case=OuterRef("pk"), end__isnull=True, reason_code="suspension"))
    )
    ExcludedPeriod.objects.bulk_create(
        (
            ExcludedPeriod(case_id=pk, reason_code=ExclusionReason.SUSPENSION, start=today)
            for pk in suspended.values_list("pk", flat=True).iterator()
        ),
        batch_size=2000,
    )


def _initialise_clocks_in_python(qs: QuerySet, today: dt.date, batch: int = 2000) -> int:
    """SQLite (the embedded default): the same in memory, one batch of cases at a time."""
    fields = ["limit_rule", "limit_nominal", "limit_raw", "limit_paused_from", "limit_excluded_days", "deadline"]
    total, last = 0, 0
    columns = ("id", "filed_on", "closed_on", "status", "category", "stage", "procedure", "limit_variant")
    while True:
        chunk = list(qs.filter(pk__gt=last).order_by("pk").only(*columns)[:batch])
        if not chunk:
            return total
        prepare_new_clocks(chunk, today)
        update_rows(Case, chunk, fields)
        record_initial_periods(
            None,
            [
                c
                for c in chunk
                if c.limit_rule is not None
                and c.status == CaseStatus.SUSPENDED
                and not c.excluded_periods.filter(end__isnull=True, reason_code="suspension").exists()
            ],
            today,
        )
        total += sum(1 for c in chunk if c.limit_rule is not None)
        last = chunk[-1].pk


def record_initial_periods(actor: User | None, cases: list[Case], today: dt.date | None = None) -> None:
    """After a bulk registration: the suspension period of each case registered as suspended."""
    today = today or timezone.localdate()
    periods = ExcludedPeriod.objects.bulk_create(
        [
            ExcludedPeriod(case=c, reason_code=ExclusionReason.SUSPENSION, start=today, recorded_by=actor)
            for c in cases
            if c.status == CaseStatus.SUSPENDED
        ]
    )
    record_bulk(ExcludedPeriod, periods, update=False)


def refresh_deadlines(
    as_of: dt.date | None = None, queryset: QuerySet | None = None, *, changed_only: bool = False
) -> int:
    """Set-based: bring the stored `deadline` up to `as_of` for open cases with a running period
    (or the open cases of `queryset`, e.g. after a calendar change). One UPDATE; idempotent.
    Closed cases keep the deadline they closed with. `changed_only` writes only the rows whose
    deadline moves (and returns their number): the daily job's way, as every write of a case row
    rewrites all of its indexes."""
    as_of = as_of or timezone.localdate()
    # The partial index of open cases with a stopped clock finds them without reading the table.
    qs = queryset if queryset is not None else Case.objects.filter(limit_paused_from__isnull=False)
    return _store_deadlines(qs.filter(limit_raw__isnull=False, closed_on__isnull=True), as_of, changed_only)


def _store_deadlines(qs: QuerySet, as_of: dt.date, changed_only: bool = False) -> int:
    first_working = (
        WorkingDay.objects.filter(day__gte=limits.raw_expression(as_of, OuterRef), is_working=True)
        .order_by("day")
        .values("day")[:1]
    )
    deadline = Coalesce(Subquery(first_working, output_field=DateField()), limits.raw_expression(as_of))
    if changed_only:
        qs = qs.alias(new_deadline=deadline).exclude(deadline=F("new_deadline"))
    # updated_at moves too, so that an integration's incremental sync (updated_since) sees the new deadline.
    return qs.update(deadline=deadline, updated_at=timezone.now())


def refresh_all_deadlines(as_of: dt.date | None = None) -> int:
    """Set-based: every open case's stored deadline from its raw date and the calendar (after
    a calendar reload). Closed cases keep the deadline they closed with."""
    return refresh_deadlines(as_of, Case.objects.filter(closed_on__isnull=True))


def after_case_change(
    actor: User | None,
    before_status: str | None,
    case: Case,
    changed: set[str],
    effective_on: dt.date,
    today: dt.date | None = None,
) -> None:
    """Called by cases.services after a case is saved (`before_status` None: just registered)."""
    after_cases_change(actor, [(before_status, case, changed)], effective_on, today=today)


def after_cases_change(
    actor: User | None,
    changes: list[tuple[str | None, Case, set[str]]],
    effective_on: dt.date,
    today: dt.date | None = None,
) -> None:
    """Called by cases.services after cases are saved: keep periods and clocks in step, for a
    whole batch in a few statements. Each item is (status before, saved case, changed fields).

    Suspending opens a suspension period; resuming ends it the day before; closing ends
    every running period on the closing date and resumes cases waiting for this one.
    """
    today = today or timezone.localdate()
    relevant = [(b, case, changed) for b, case, changed in changes if b is None or changed & CLOCK_INPUTS]
    if not relevant:
        return
    moved = [(before, case) for before, case, changed in relevant if before is None or "status" in changed]
    suspending = [c for b, c in moved if c.status == CaseStatus.SUSPENDED and b != CaseStatus.SUSPENDED]
    resuming = [c for b, c in moved if b == CaseStatus.SUSPENDED and c.status == CaseStatus.OPEN]
    closing = [c for b, c in moved if c.status == CaseStatus.CLOSED and b != CaseStatus.CLOSED]
    if suspending:
        _open_suspensions(actor, suspending, effective_on)
    if resuming:
        _end_running(resuming, last_day=effective_on - dt.timedelta(days=1), only_suspension=True)
    if closing:
        _end_running(closing, last_day=None, only_suspension=False)
    recompute_clocks([case for _b, case, _c in relevant], today=today)
    if closing:
        awaited = Case.objects.filter(status=CaseStatus.SUSPENDED).filter(
            Q(links__kind=CaseLinkKind.WAITS_FOR, links__target__in=closing)
            | Q(excluded_periods__awaited_case__in=closing, excluded_periods__end__isnull=True)
        )
        if awaited.exists():
            for case in closing:
                resume_waiting_cases(actor, case)


def _open_suspensions(actor: User | None, cases: list[Case], start: dt.date) -> None:
    """A running suspension period for each case that has none, naming the open case it
    waits for (the first `waits_for` link), if any."""
    ids = [case.pk for case in cases]
    awaited: dict[int, int] = {}
    waits = CaseLink.objects.filter(case_id__in=ids, kind=CaseLinkKind.WAITS_FOR, target__closed_on__isnull=True)
    for case_id, target_id in waits.order_by("-pk").values_list("case_id", "target_id"):
        awaited[case_id] = target_id  # the lowest link id wins, as before
    running = set(
        ExcludedPeriod.objects.filter(
            case_id__in=ids, reason_code=ExclusionReason.SUSPENSION, end__isnull=True
        ).values_list("case_id", flat=True)
    )
    periods = ExcludedPeriod.objects.bulk_create(
        [
            ExcludedPeriod(
                case=case,
                reason_code=ExclusionReason.SUSPENSION,
                start=start,
                recorded_by=actor,
                awaited_case_id=awaited.get(case.pk),
            )
            for case in cases
            if case.pk not in running
        ]
    )
    record_bulk(ExcludedPeriod, periods, update=False)


def _end_running(cases: list[Case], *, last_day: dt.date | None, only_suspension: bool) -> None:
    """End the running periods of `cases` on `last_day` (None: each case's closing date)."""
    running = ExcludedPeriod.objects.filter(case__in=cases, end__isnull=True)
    if only_suspension:
        running = running.filter(reason_code=ExclusionReason.SUSPENSION)
    last = (
        Value(last_day)
        if last_day is not None
        else Subquery(Case.objects.filter(pk=OuterRef("case_id")).values("closed_on")[:1])
    )
    # A period that had not begun by its last day excluded nothing: drop it.
    running.filter(start__gt=last_day if last_day is not None else F("case__closed_on")).delete()
    running.update(end=last)


def suspension_bounds(case_ids: list[int]) -> dict[int, tuple[dt.date | None, dt.date | None]]:
    """{case id: (first day of its running suspension, last day of its latest ended one)}, in
    one query: what the day of a resumption or a new suspension is checked against."""
    rows = (
        ExcludedPeriod.objects.filter(case_id__in=case_ids, reason_code=ExclusionReason.SUSPENSION)
        .values("case_id")
        .annotate(running=Max("start", filter=Q(end__isnull=True)), last_end=Max("end"))
        .values_list("case_id", "running", "last_end")
    )
    return {case_id: (running, last_end) for case_id, running, last_end in rows}


def resume_waiting_cases(actor: User | None, closed: Case) -> list[Case]:
    """Resume suspended cases waiting for `closed` once nothing else they wait for is open.

    "Waiting" is a `waits_for` link or a running suspension naming `closed` as awaited case.
    """
    waiting = Case.objects.filter(status=CaseStatus.SUSPENDED).filter(
        Q(links__kind=CaseLinkKind.WAITS_FOR, links__target=closed)
        | Q(excluded_periods__awaited_case=closed, excluded_periods__end__isnull=True)
    )
    still_waiting = CaseLink.objects.filter(
        case=OuterRef("pk"), kind=CaseLinkKind.WAITS_FOR, target__closed_on__isnull=True
    ).exclude(target=closed)
    resumed = []
    cases = list(waiting.distinct().exclude(Exists(still_waiting)).select_related("court"))
    suspended_since = suspension_bounds([case.pk for case in cases])
    for case in cases:
        note = _("Resumed: the awaited case %(number)s was closed.") % {"number": closed.case_number}
        # Not before its own suspension began (a suspension that began after the awaited case
        # closed excluded nothing).
        start = suspended_since.get(case.pk, (None, None))[0]
        resume_case(actor, case, on=max(closed.closed_on, start or closed.closed_on), note=note)
        resumed.append(case)
    return resumed


# --- excluded periods ------------------------------------------------------------------------


def _validate_period(period: ExcludedPeriod, today: dt.date) -> None:
    """A period's days happened (cases.dates): its first day is not before the filing date,
    its last day not before its first day nor after the closing date, neither after today.
    Periods planned ahead are not recorded: a running period is ended on its last day."""
    errors: dict[str, list[str]] = {}
    case = period.case
    if period.reason_code not in ExclusionReason.values:
        errors.setdefault("reason_code", []).append(_("Unknown reason."))
    if period.start is None:
        errors.setdefault("start", []).append(_("Enter the first day."))
    elif error := dates.happened(period.start, since=dates.not_before_filing(case.filed_on), today=today):
        errors.setdefault("start", []).append(error)
    if period.end is not None:
        since = [dates.not_before_first_day(period.start)] if period.start else [dates.not_before_filing(case.filed_on)]
        until = [dates.not_after_closing(case.closed_on)] if case.closed_on else []
        if error := dates.happened(period.end, since=since, today=today, until=until):
            errors.setdefault("end", []).append(error)
    if case.closed_on and period.end is None:
        errors.setdefault("end", []).append(_("A closed case has no running period: enter the last day."))
    if period.reason_code == ExclusionReason.SETTLEMENT and case.category != "civil":
        errors.setdefault("reason_code", []).append(_("A settlement period applies to civil cases only."))
    if period.start and not errors:
        far = dt.date.max
        clash = (
            ExcludedPeriod.objects.filter(case=case, reason_code=period.reason_code, start__lte=period.end or far)
            .filter(Q(end__isnull=True) | Q(end__gte=period.start))
            .exclude(pk=period.pk)
        )
        if clash.exists():
            errors.setdefault("start", []).append(
                _("This period overlaps another period of the same kind (%(kind)s).")
                % {"kind": period.get_reason_code_display()}
            )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def record_period(
    actor: User | None,
    case: Case,
    *,
    reason_code: str,
    start: dt.date,
    end: dt.date | None = None,
    reason: str = "",
    document_ref: str = "",
    awaited_case: Case | None = None,
    today: dt.date | None = None,
) -> ExcludedPeriod:
    """Record a period not counted in the time limit; the deadline moves at once."""
    today = today or timezone.localdate()
    case = Case.objects.select_for_update().get(pk=case.pk)
    period = ExcludedPeriod(
        case=case,
        reason_code=reason_code,
        start=start,
        end=end,
        reason=reason,
        document_ref=document_ref,
        awaited_case=awaited_case,
        recorded_by=actor,
    )
    _validate_period(period, today)
    period.save()
    recompute_clock(case)
    return period


PERIOD_FIELDS = ("reason_code", "start", "end", "reason", "document_ref", "awaited_case")


@transaction.atomic
def change_period(
    actor: User | None, period: ExcludedPeriod, changes: dict[str, Any], *, today: dt.date | None = None
) -> ExcludedPeriod:
    """Correct a period or end it (`{"end": day}`)."""
    today = today or timezone.localdate()
    unknown = set(changes) - set(PERIOD_FIELDS)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
    case = Case.objects.select_for_update().get(pk=period.case_id)
    period = ExcludedPeriod.objects.get(pk=period.pk)
    period.case = case
    for name, value in changes.items():
        setattr(period, name, value)
    _validate_period(period, today)
    period.save()
    recompute_clock(case)
    return period


def end_period(
    actor: User | None, period: ExcludedPeriod, last_day: dt.date, *, today: dt.date | None = None
) -> ExcludedPeriod:
    return change_period(actor, period, {"end": last_day}, today=today)


@transaction.atomic
def delete_period(actor: User | None, period: ExcludedPeriod) -> None:
    case = Case.objects.select_for_update().get(pk=period.case_id)
    period.delete()
    recompute_clock(case)


def review_period(
    actor: User | None, period: ExcludedPeriod, on: dt.date | None = None, *, today: dt.date | None = None
) -> ExcludedPeriod:
    """Record that a running suspension was reviewed (resets the stale-suspension check)."""
    today = today or timezone.localdate()
    on = on or today
    if error := dates.happened(on, since=dates.not_before_first_day(period.start), today=today):
        raise ValidationError({"on": [error]})
    period.reviewed_on = on
    ExcludedPeriod.objects.filter(pk=period.pk).update(reviewed_on=period.reviewed_on)
    return period


# --- extensions -----------------------------------------------------------------------------


def _rule_step(case: Case, step: int):
    if case.limit_rule_id is None:
        return None
    return case.limit_rule.steps.filter(order=step).first()


@transaction.atomic
def request_extension(
    actor: User | None,
    case: Case,
    *,
    length: int,
    unit: str = "months",
    reason: str,
    requested_on: dt.date | None = None,
    document_ref: str = "",
    today: dt.date | None = None,
) -> Extension:
    """Request the next extension step. Beyond the step's legal maximum, on a closed case or
    with another request pending → ValidationError. Later than the rule's lead days before
    the deadline → recorded with `late_request`."""
    today = today or timezone.localdate()
    requested_on = requested_on or today
    case = Case.objects.select_for_update(of=("self",)).select_related("limit_rule").get(pk=case.pk)
    errors: dict[str, list[str]] = {}
    if error := dates.happened(requested_on, since=dates.not_before_filing(case.filed_on), today=today):
        errors["requested_on"] = [error]
    if case.status == CaseStatus.CLOSED:
        errors["case"] = [_("A closed case cannot be extended.")]
    if not (reason or "").strip():
        errors["reason"] = [_("Give the reason for the extension.")]
    if unit not in ("months", "days"):
        errors["unit"] = [_("Unknown unit.")]
    if not length or length <= 0:
        errors["length"] = [_("Enter a length of at least 1.")]
    if case.extensions.filter(status=ExtensionStatus.REQUESTED).exists():
        errors.setdefault("case", []).append(_("Another extension request is waiting for a decision."))
    step_no = case.extensions.filter(status=ExtensionStatus.APPROVED).count() + 1
    step = _rule_step(case, step_no)
    if step is None:
        errors["length"] = [_("The law allows no further extension for this procedure.")]
    elif step.max_length is not None and not errors.get("length") and _exceeds(length, unit, step, case.deadline):
        errors["length"] = [
            _("Extension step %(step)s may add at most %(max)s %(unit)s.")
            % {"step": step_no, "max": step.max_length, "unit": step.get_unit_display()}
        ]
    if errors:
        raise ValidationError(errors)
    lead = case.limit_rule.request_lead_days
    late = case.deadline is not None and requested_on > case.deadline - dt.timedelta(days=lead)
    return Extension.objects.create(
        case=case,
        step=step_no,
        length=length,
        unit=unit,
        reason=reason,
        requested_by=actor,
        requested_on=requested_on,
        late_request=late,
        document_ref=document_ref,
    )


def _exceeds(length: int, unit: str, step, from_day: dt.date | None) -> bool:
    if unit == step.unit:
        return length > step.max_length
    return _days(length, unit, from_day) > _days(step.max_length, step.unit, from_day)


def _days(length: int, unit: str, from_day: dt.date | None) -> int:
    """A length as days from `from_day` (months are compared on the calendar they would add)."""
    start = from_day or timezone.localdate()
    return (limits.add_length(start, length, unit) - start).days


@transaction.atomic
def decide_extension(
    actor: User | None,
    extension: Extension,
    *,
    approve: bool,
    by_higher_court: bool = False,
    decided_on: dt.date | None = None,
    document_ref: str = "",
    today: dt.date | None = None,
) -> Extension:
    """Approve or refuse a pending request; an approval moves the deadline at once."""
    today = today or timezone.localdate()
    decided_on = decided_on or today
    case = Case.objects.select_for_update(of=("self",)).select_related("limit_rule").get(pk=extension.case_id)
    extension = Extension.objects.select_related("case__limit_rule").get(pk=extension.pk)
    if extension.status != ExtensionStatus.REQUESTED:
        raise ValidationError({"status": [_("This request has already been decided.")]})
    step = _rule_step(case, extension.step)
    if approve and step is not None and step.approver != Approver.PRESIDENT and not by_higher_court:
        raise ValidationError(
            {"by_higher_court": [_("This step is decided by the %(who)s.") % {"who": step.get_approver_display()}]}
        )
    president_step = step is None or step.approver == Approver.PRESIDENT
    if actor is not None and not can_decide_extension(actor, by_higher_court=by_higher_court or not president_step):
        raise ValidationError({"decided_by": [_("Only the president decides this extension.")]})
    if error := dates.happened(decided_on, since=dates.not_before_request(extension.requested_on), today=today):
        raise ValidationError({"decided_on": [error]})
    extension.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
    extension.decided_by = actor
    extension.by_higher_court = by_higher_court
    extension.decided_on = decided_on
    if document_ref:
        extension.document_ref = document_ref
    extension.save()
    if approve:
        recompute_clock(case)
    return extension


# --- calendar overrides --------------------------------------------------------------------


@transaction.atomic
def set_calendar_override(actor: User | None, day: dt.date, is_working: bool, note: str = "") -> WorkingDayOverride:
    """Correct one calendar day and move every deadline near it, set-based."""
    override, _created = WorkingDayOverride.objects.update_or_create(
        day=day, defaults={"is_working": is_working, "note": note, "created_by": actor}
    )
    WorkingDay.objects.update_or_create(day=day, defaults={"is_working": is_working, "source": "override"})
    _refresh_near(day)
    return override


@transaction.atomic
def remove_calendar_override(actor: User | None, day: dt.date) -> None:
    from .calendar import source_days

    WorkingDayOverride.objects.filter(day=day).delete()
    for d, working, source, name in source_days(day.year, day.year):
        if d == day:
            WorkingDay.objects.update_or_create(
                day=day, defaults={"is_working": working, "source": source, "name": name}
            )
    _refresh_near(day)


def _refresh_near(day: dt.date) -> None:
    # Only a raw deadline within the 60 days before the changed day can move.
    near = Case.objects.filter(limit_raw__gte=day - dt.timedelta(days=60), limit_raw__lte=day)
    refresh_deadlines(timezone.localdate(), near)
    recompute_clocks_of(near.filter(closed_on__isnull=False))


# --- hidden overruns -------------------------------------------------------------------------


def hidden_overrun_thresholds() -> dict[str, int]:
    """The thresholds of the hidden-overrun rules (settings, with the issue's defaults)."""
    return {
        "margin_days": _setting("LIMIT_HIDDEN_MARGIN_DAYS", 90),
        "max_suspensions": _setting("LIMIT_HIDDEN_MAX_SUSPENSIONS", 3),
        "stale_suspension_days": _setting("LIMIT_HIDDEN_STALE_SUSPENSION_DAYS", 90),
    }


def hidden_overrun_candidates(as_of: dt.date) -> dict[str, dict[int, dict]]:
    """{rule: {case id: evidence}} for open cases on `as_of` — set-based, one query per rule."""
    t = hidden_overrun_thresholds()
    open_cases = Case.objects.filter(limits.open_on_q(as_of))
    found: dict[str, dict[int, dict]] = {}

    # 1. Time since filing beyond base + extensions + margin, while excluded days keep the
    #    case inside its deadline.
    past_nominal = as_of - dt.timedelta(days=t["margin_days"])
    # One statement per part of "open" (limits.open_on_parts), each on its own index: the partial
    # index of open cases' limit without exclusions holds every column read (no table row is read).
    filled = [
        row
        for part in limits.open_on_parts(as_of)
        for row in limits.annotate_clock(Case.objects.filter(part), as_of)
        .filter(limit_nominal__lt=past_nominal, days_remaining__gte=0)
        .values("id", "limit_nominal", "limit_deadline", "limit_excluded_days")
        .order_by()
    ]
    found[HiddenOverrunRule.FILLED_BY_EXCLUSIONS] = {
        r["id"]: {
            "limit_without_exclusions": r["limit_nominal"].isoformat(),
            "deadline": r["limit_deadline"].isoformat(),
            "days_past_limit_without_exclusions": (as_of - r["limit_nominal"]).days,
            "margin_days": t["margin_days"],
        }
        for r in filled
    }

    # 2. Many suspensions, or suspensions overlapping another excluded period.
    suspensions = ExcludedPeriod.objects.filter(reason_code=ExclusionReason.SUSPENSION, start__lte=as_of)
    many = (
        suspensions.filter(case__in=open_cases)
        .values("case_id")
        .annotate(n=Count("id"))
        .filter(n__gte=t["max_suspensions"])
    )
    evidence: dict[int, dict] = {r["case_id"]: {"suspensions": r["n"]} for r in many}
    far = dt.date(9999, 12, 31)
    overlapping = ExcludedPeriod.objects.filter(
        Exists(
            ExcludedPeriod.objects.filter(case=OuterRef("case"), start__lte=Coalesce(OuterRef("end"), far))
            .filter(Q(end__isnull=True) | Q(end__gte=OuterRef("start")))
            .exclude(pk=OuterRef("pk"))
        ),
        reason_code=ExclusionReason.SUSPENSION,
        case__in=open_cases,
    ).values_list("case_id", "start")
    for case_id, start in overlapping:
        evidence.setdefault(case_id, {}).setdefault("overlapping_suspension_starts", []).append(start.isoformat())
    found[HiddenOverrunRule.MANY_SUSPENSIONS] = evidence

    # 3. Excluded periods without an explanation or without a document reference.
    undocumented = ExcludedPeriod.objects.filter(Q(reason="") | Q(document_ref=""), case__in=open_cases).values_list(
        "case_id", "id", "reason_code", "start"
    )
    evidence = {}
    for case_id, period_id, code, start in undocumented:
        evidence.setdefault(case_id, {}).setdefault("periods", []).append(
            {"id": period_id, "reason_code": code, "start": start.isoformat()}
        )
    found[HiddenOverrunRule.UNDOCUMENTED] = evidence

    # 4. Suspensions running longer than the threshold since their start or last review.
    cutoff = as_of - dt.timedelta(days=t["stale_suspension_days"])
    stale = (
        suspensions.filter(end__isnull=True, case__in=open_cases)
        .alias(last_look=Coalesce("reviewed_on", "start"))
        .filter(last_look__lt=cutoff)
        .values_list("case_id", "start", "reviewed_on")
    )
    found[HiddenOverrunRule.STALE_SUSPENSION] = {
        case_id: {
            "suspended_since": start.isoformat(),
            "last_reviewed": reviewed.isoformat() if reviewed else None,
            "threshold_days": t["stale_suspension_days"],
        }
        for case_id, start, reviewed in stale
    }
    return found


@transaction.atomic
def check_hidden_overruns(as_of: dt.date | None = None) -> dict[str, int]:
    """The daily check: raise a flag per case and rule that trips, refresh the evidence of
    running flags, clear flags that no longer trip. Idempotent for a given `as_of`."""
    as_of = as_of or timezone.localdate()
    found = hidden_overrun_candidates(as_of)
    stats = {"raised": 0, "cleared": 0}
    for rule, cases in found.items():
        running = HiddenOverrunFlag.objects.filter(rule=rule, cleared_on__isnull=True)
        # The rule's running flags, read once (at most one per case); what changes is worked out
        # here and written by id: no statement carries the thousands of case ids found.
        flags = list(running.values_list("id", "case_id", "first_flagged_on", "last_seen_on", "evidence"))
        cleared = [pk for pk, cid, first, _s, _e in flags if cid not in cases and first <= as_of]
        not_yet = [pk for pk, cid, first, _s, _e in flags if cid not in cases and first > as_of]
        existing = {cid: (pk, evidence) for pk, cid, _f, _s, evidence in flags if cid in cases}
        stats["cleared"] += HiddenOverrunFlag.objects.filter(id__in=cleared).update(cleared_on=as_of)
        new = [
            HiddenOverrunFlag(case_id=cid, rule=rule, first_flagged_on=as_of, last_seen_on=as_of, evidence=ev)
            for cid, ev in cases.items()
            if cid not in existing
        ]
        HiddenOverrunFlag.objects.bulk_create(new, ignore_conflicts=True)
        stats["raised"] += len(new)
        # Flags seen again: the day (the new ones carry it already), and the evidence where it changed.
        running.filter(last_seen_on__lt=as_of).exclude(id__in=not_yet).update(last_seen_on=as_of)
        changed = [
            HiddenOverrunFlag(id=pk, evidence=cases[cid])
            for cid, (pk, evidence) in existing.items()
            if evidence != cases[cid]
        ]
        update_rows(HiddenOverrunFlag, changed, ["evidence"])
    return stats


def daily_limits_job(as_of: dt.date | None = None) -> dict[str, int]:
    """What the daily job runs for the time limits: refresh running clocks, then check."""
    as_of = as_of or timezone.localdate()
    refreshed = refresh_deadlines(as_of, changed_only=True)
    return {"refreshed": refreshed, **check_hidden_overruns(as_of)}


def recompute_all_clocks(queryset: QuerySet | None = None, today: dt.date | None = None) -> int:
    """Recompute every case's clock (after editing the rule table, or on a database loaded
    before the time limits existed). Cases with no periods and no extensions, the great
    majority, are done set-based by `initialise_clocks`; the rest a chunk at a time."""
    qs = Case.objects.all() if queryset is None else queryset
    has_ledger = Q(Exists(ExcludedPeriod.objects.filter(case=OuterRef("pk")))) | Q(
        Exists(Extension.objects.filter(case=OuterRef("pk")))
    )
    plain = qs.exclude(has_ledger).exclude(status=CaseStatus.SUSPENDED)
    count = initialise_clocks(plain, today)
    return count + recompute_clocks_of(qs.exclude(pk__in=plain.values("pk")), today)
