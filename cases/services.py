"""Writes to the case register. Every change to a case goes through `change_case` (or the
thin named helpers over it), which validates the whole new state, saves it and records one
CaseEvent per kind of change, in one transaction. Nothing here runs from a signal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from common.history import record_bulk
from common.sql import insert_rows, update_rows

from . import case_numbers, dates, extensions, permissions
from .models import (
    Case,
    CaseEvent,
    CaseLink,
    CaseStatus,
    Court,
    Division,
    EventKind,
    LimitVariant,
    Procedure,
    User,
)

# Fields a person or an integration may set on a case.
EDITABLE_FIELDS = (
    "case_number",
    "procedure",
    "cause",
    "parties",
    "filed_on",
    "division",
    "handler",
    "clerk",
    "status",
    "closed_on",
    "closure_method",
    "business_environment",
    "external_id",
    "limit_variant",
)
# The allowed values of the choice fields, computed once (an enum's `.values` builds a list per call).
_VALUES = {enum: frozenset(enum.values) for enum in (CaseStatus, Procedure, LimitVariant)}
DETAIL_FIELDS = ("cause", "parties", "clerk", "business_environment", "external_id", "limit_variant")


def default_procedure(type_code: str) -> str:
    """The procedure a new case of this type starts in unless told otherwise."""
    stage = case_numbers.CASE_TYPES[type_code].stage
    if stage == case_numbers.Stage.SPECIAL:
        return Procedure.SPECIAL
    if type_code in ("民初", "刑初", "行初", "行赔初", "民终", "刑终", "行终", "民再", "刑再", "行再"):
        return Procedure.ORDINARY
    return Procedure.OTHER


def _plain(value: Any) -> Any:
    """A JSON-friendly form of a field value for the event log."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Division):
        return value.code
    if isinstance(value, User):
        return value.username
    return value


def _snapshot(case: Case, fields) -> dict[str, Any]:
    out = {}
    for name in fields:
        if name in ("division", "handler", "clerk"):
            out[name] = _plain(getattr(case, name)) if getattr(case, f"{name}_id") else None
        else:
            out[name] = _plain(getattr(case, name))
    return out


def _validate(case: Case, today: dt.date, *, check_clashes: bool = True) -> None:
    """Validate the whole state of a case; raise one ValidationError keyed by field.

    `check_clashes=False` skips the two uniqueness queries: register_cases checks a whole
    batch against the register in one query instead.
    """
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    try:
        number = case_numbers.parse(case.case_number)
    except ValidationError as exc:
        add("case_number", exc.messages[0])
        number = None
    if number is not None:
        case.case_number = number.normal
        case.year, case.court_code, case.case_type, case.seq = (
            number.year,
            number.court_code,
            number.type_code,
            number.seq,
        )
        case.category = number.case_type.category
        case.stage = number.case_type.stage
        if case.court_id and number.court_code != case.court.code:
            add(
                "case_number",
                _(
                    "The court code %(got)s is not this court's (%(expected)s). "
                    "Expected form: （2024）%(expected)s民初1234号"
                )
                % {"got": number.court_code, "expected": case.court.code},
            )
    if case.filed_on is None:
        add("filed_on", _("Enter the filing date."))
    elif error := dates.happened(case.filed_on, since=dates.earliest_filing(), today=today):
        add("filed_on", error)
    elif number is not None and not (number.year - 1 <= case.filed_on.year <= number.year + 1):
        # A case is numbered in the year it is filed; allow the turn of the year.
        add(
            "filed_on",
            _("The filing date %(date)s does not match the year %(year)s in the case number.")
            % {"date": case.filed_on.isoformat(), "year": number.year},
        )
    if case.status not in _VALUES[CaseStatus]:
        add("status", _("Unknown status."))
    if case.procedure not in _VALUES[Procedure]:
        add("procedure", _("Unknown procedure."))
    if case.limit_variant not in _VALUES[LimitVariant]:
        add("limit_variant", _("Unknown time-limit variant."))
    if case.status == CaseStatus.CLOSED:
        if case.closed_on is None:
            add("closed_on", _("A closed case needs its closing date."))
        elif error := dates.happened(
            case.closed_on,
            since=dates.not_before_filing(case.filed_on) if case.filed_on else dates.earliest_filing(),
            today=today,
        ):
            add("closed_on", error)
        if not case.closure_method:
            add("closure_method", _("A closed case needs its closure method."))
    else:
        if case.closed_on is not None:
            add("closed_on", _("Only a closed case has a closing date."))
        if case.closure_method:
            add("closure_method", _("Only a closed case has a closure method."))
    if case.division_id is None:
        add("division", _("Choose the division."))
    elif case.court_id and case.division.court_id != case.court_id:
        add("division", _("This division belongs to another court."))
    for role_field in ("handler", "clerk"):
        person = getattr(case, role_field) if getattr(case, f"{role_field}_id") else None
        if person is not None and not person.is_active:
            add(role_field, _("%(name)s is no longer active.") % {"name": person})
    if case.external_id == "":
        case.external_id = None
    if check_clashes and case.case_number and not errors.get("case_number") and case.court_id:
        clash = Case.objects.filter(court_id=case.court_id, case_number=case.case_number)
        if case.pk:
            clash = clash.exclude(pk=case.pk)
        if clash.exists():
            add("case_number", _("Case %(number)s is already registered.") % {"number": case.case_number})
    if check_clashes and case.external_id:
        clash = Case.objects.filter(external_id=case.external_id)
        if case.pk:
            clash = clash.exclude(pk=case.pk)
        if clash.exists():
            add("external_id", _("Another case already has this external id."))
    if errors:
        raise ValidationError(errors)


def _save(case: Case) -> None:
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError as exc:
        # A concurrent writer won the race that _validate checked for.
        raise ValidationError(
            {"case_number": [_("This case was registered at the same moment by someone else; reload and try again.")]}
        ) from exc


def _new_case(court: Court | None, data: Mapping[str, Any]) -> Case:
    """An unsaved case from EDITABLE_FIELDS, with the default procedure of its type."""
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
    case = Case(court=court, status=CaseStatus.OPEN, closure_method="")
    for name, value in data.items():
        if value is None and name in (
            "cause",
            "parties",
            "closure_method",
            "case_number",
            "procedure",
            "limit_variant",
        ):
            value = ""
        setattr(case, name, value)
    if not data.get("procedure"):
        try:
            case.procedure = default_procedure(case_numbers.parse(case.case_number).type_code)
        except ValidationError:
            case.procedure = Procedure.OTHER
    return case


def _registration_events(actor: User | None, case: Case, today: dt.date) -> list[CaseEvent]:
    """The events a new case starts its timeline with (unsaved)."""
    events = [
        CaseEvent(
            case=case,
            kind=EventKind.REGISTERED,
            actor=actor,
            effective_on=case.filed_on,
            after=_snapshot(case, EDITABLE_FIELDS),
        )
    ]
    if case.status == CaseStatus.SUSPENDED:
        events.append(CaseEvent(case=case, kind=EventKind.SUSPENDED, actor=actor, effective_on=today))
    if case.status == CaseStatus.CLOSED:
        events.append(
            CaseEvent(
                case=case,
                kind=EventKind.CLOSED,
                actor=actor,
                effective_on=case.closed_on,
                after=_snapshot(case, ("closed_on", "closure_method")),
            )
        )
    return events


@transaction.atomic
def register_case(
    actor: User | None,
    *,
    court: Court | None = None,
    links: list[tuple[Case, str]] = (),
    today: dt.date | None = None,
    **data: Any,
) -> Case:
    """Register a new case. `data` holds EDITABLE_FIELDS; a case may arrive already closed."""
    today = today or timezone.localdate()
    case = _new_case(court or Court.default(), data)
    _validate(case, today)
    case.set_lines()
    _save(case)
    for event in _registration_events(actor, case, today):
        event.save()
    for target, kind in links:
        link_cases(actor, case, target, kind)
    # What follows a registration elsewhere (the statutory clock: its rule and deadline; a
    # suspended case opens its period).
    extensions.after_changed(actor, [(None, case, set(data))], today, today)
    return case


@transaction.atomic
def register_cases(
    actor: User | None,
    rows: list[Mapping[str, Any]],
    *,
    court: Court | None = None,
    today: dt.date | None = None,
) -> list[Case | ValidationError]:
    """Register many new cases at once (bulk API, file imports): register_case's rules and
    events, written set-based: one clash query, one INSERT of cases, one of events.

    Returns, per row in order, the saved case or the ValidationError that refused it; a
    refused row writes nothing, the others are saved. Keep in step with register_case.
    """
    today = today or timezone.localdate()
    court = court or Court.default()
    out: list[Case | ValidationError] = []
    for data in rows:
        try:
            case = _new_case(court, data)
            _validate(case, today, check_clashes=False)
            case.set_lines()
        except ValidationError as exc:
            out.append(exc)
            continue
        out.append(case)
    built = [c for c in out if isinstance(c, Case)]
    numbers = {c.case_number for c in built}
    external_ids = {c.external_id for c in built if c.external_id}
    taken = Case.objects.filter(Q(court=court, case_number__in=numbers) | Q(external_id__in=external_ids))
    taken_numbers, taken_external = set(), set()
    for number, external_id in taken.values_list("case_number", "external_id"):
        taken_numbers.add(number)
        taken_external.add(external_id)
    seen_numbers: set[str] = set()
    seen_external: set[str] = set()
    for i, case in enumerate(out):
        if not isinstance(case, Case):
            continue
        errors: dict[str, list[str]] = {}
        if case.case_number in taken_numbers or case.case_number in seen_numbers:
            errors["case_number"] = [_("Case %(number)s is already registered.") % {"number": case.case_number}]
        if case.external_id and (case.external_id in taken_external or case.external_id in seen_external):
            errors["external_id"] = [_("Another case already has this external id.")]
        if errors:
            out[i] = ValidationError(errors)
            continue
        seen_numbers.add(case.case_number)
        if case.external_id:
            seen_external.add(case.external_id)
    good = [c for c in out if isinstance(c, Case)]
    extensions.prepare_new(good, today)
    try:
        with transaction.atomic():
            insert_rows(Case, good)
    except IntegrityError:
        # A concurrent writer registered one of these numbers meanwhile: fall back to one by one.
        for i, case in enumerate(out):
            if isinstance(case, Case):
                data = {name: getattr(case, name) for name in EDITABLE_FIELDS}
                try:
                    out[i] = register_case(actor, court=court, today=today, **data)
                except ValidationError as exc:
                    out[i] = exc
        return out
    record_bulk(Case, good, update=False)
    insert_rows(CaseEvent, [event for case in good for event in _registration_events(actor, case, today)])
    extensions.after_registered(actor, good, today)
    return out


def _event_kinds(before_status: str, changes: Mapping[str, Any]) -> list[tuple[str, tuple[str, ...]]]:
    """Which events a set of changes makes, with the fields each one records."""
    changed = set(changes)
    kinds: list[tuple[str, tuple[str, ...]]] = []
    if "case_number" in changed:
        kinds.append((EventKind.NUMBER_CORRECTED, ("case_number",)))
    if "filed_on" in changed:
        kinds.append((EventKind.FILING_DATE_CORRECTED, ("filed_on",)))
    if "procedure" in changed:
        kinds.append((EventKind.PROCEDURE_CHANGED, ("procedure",)))
    moved = tuple(f for f in ("division", "handler") if f in changed)
    if moved:
        kinds.append((EventKind.TRANSFERRED, moved))
    details = tuple(f for f in DETAIL_FIELDS if f in changed)
    if details:
        kinds.append((EventKind.UPDATED, details))
    if "status" in changed:
        old, new = before_status, changes["status"]
        closing = ("status", "closed_on", "closure_method")
        if new == CaseStatus.CLOSED:
            kinds.append((EventKind.CLOSED, closing))
        elif old == CaseStatus.CLOSED:
            kinds.append((EventKind.REOPENED, closing))
        elif new == CaseStatus.SUSPENDED:
            kinds.append((EventKind.SUSPENDED, ("status",)))
        else:
            kinds.append((EventKind.RESUMED, ("status",)))
    elif {"closed_on", "closure_method"} & changed:
        kinds.append((EventKind.UPDATED, tuple(f for f in ("closed_on", "closure_method") if f in changed)))
    return kinds


def _real_changes(case: Case, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The changes that differ from the case's current values, normalised."""
    real: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "case_number" and value is not None:
            value = case_numbers.normalise(value)
        if name == "closure_method" and value is None:
            value = ""
        if name == "external_id" and value == "":
            value = None
        current = getattr(case, f"{name}_id") if name in ("division", "handler", "clerk") else getattr(case, name)
        compare = value.pk if hasattr(value, "pk") else value
        if compare != current:
            real[name] = value
    return real


# Fields that follow from the case number and the filing date (see _validate and set_lines).
_NUMBER_FIELDS = ("year", "court_code", "case_type", "seq", "category", "stage")
_LINE_FIELDS = ("line_6m", "line_12m", "line_15m")


def attach_related(cases: Iterable[Case]) -> None:
    """Give `cases` their court, division, handler and clerk (which validation and the event log
    read) from one query per model over the distinct ids: a batch of cases names a few dozen
    people and divisions, so this beats joining them to every row."""
    cases = list(cases)
    people = {c.handler_id for c in cases} | {c.clerk_id for c in cases}
    related = {
        "court": Court.objects.in_bulk({c.court_id for c in cases} - {None}),
        "division": Division.objects.in_bulk({c.division_id for c in cases} - {None}),
        "handler": User.objects.in_bulk(people - {None}),
    }
    related["clerk"] = related["handler"]
    for name, objects in related.items():
        field = Case._meta.get_field(name)
        for case in cases:
            value = getattr(case, field.attname)
            field.set_cached_value(case, objects.get(value) if value is not None else None)


@dataclass
class _Change:
    case: Case
    real: dict[str, Any]
    before: dict[str, Any]  # the case's editable fields before the change, as the event log writes them
    before_status: str


def _claim_unique_values(batch: list[_Change], refused: dict[int, ValidationError]) -> None:
    """One query for the case numbers and external ids the batch sets: a value held by another
    case (outside the batch, or in it and kept) refuses the row; within the batch the first
    row to take a value wins, as one-by-one changes would."""
    moving = [c for c in batch if {"case_number", "external_id"} & set(c.real)]
    if not moving:
        return
    numbers = {c.case.case_number for c in moving if "case_number" in c.real}
    externals = {c.case.external_id for c in moving if c.real.get("external_id")}
    in_batch = {c.case.pk: c for c in batch}
    held_numbers: set[tuple[int, str]] = set()
    held_external: set[str] = set()
    holders = Case.objects.filter(Q(case_number__in=numbers) | Q(external_id__in=externals))
    for pk, court_id, number, external_id in holders.values_list("pk", "court_id", "case_number", "external_id"):
        change = in_batch.get(pk)
        if change is None or "case_number" not in change.real:
            held_numbers.add((court_id, number))
        if external_id and (change is None or "external_id" not in change.real):
            held_external.add(external_id)
    for change in moving:
        case, errors = change.case, {}
        key = (case.court_id, case.case_number)
        if "case_number" in change.real and key in held_numbers:
            errors["case_number"] = [_("Case %(number)s is already registered.") % {"number": case.case_number}]
        if change.real.get("external_id") and case.external_id in held_external:
            errors["external_id"] = [_("Another case already has this external id.")]
        if errors:
            refused[case.pk] = ValidationError(errors)
            continue
        if "case_number" in change.real:
            held_numbers.add(key)
        if change.real.get("external_id"):
            held_external.add(case.external_id)


def _check_effective_on(
    batch: list[_Change], effective_on: dt.date, today: dt.date, refused: dict[int, ValidationError]
) -> None:
    """The day a change took effect (`on` of the actions) is a date that happened: not before
    the filing date, not after today, nor before the bounds the extensions add (the clock: a
    suspension starts after the last day of any earlier one; a resumption is not before the
    start of the suspension it ends)."""
    more = extensions.effective_on_bounds([(c.before_status, c.case, set(c.real)) for c in batch])
    for change in batch:
        case = change.case
        since = [dates.not_before_filing(case.filed_on), *more.get(case.pk, ())]
        error = dates.happened(effective_on, since=since, today=today)
        if error:
            refused[case.pk] = ValidationError({"on": [error]})


def change_case(
    actor: User | None,
    case: Case,
    changes: Mapping[str, Any],
    *,
    effective_on: dt.date | None = None,
    note: str = "",
    today: dt.date | None = None,
) -> list[CaseEvent]:
    """Apply `changes` (EDITABLE_FIELDS) to `case`, validate, save and record the events.

    Values equal to the current ones are ignored, so sending the same data twice records
    nothing. Returns the events written (empty when nothing changed); raises ValidationError.
    """
    (outcome,) = change_cases(actor, [(case, changes)], effective_on=effective_on, note=note, today=today)
    if isinstance(outcome, ValidationError):
        raise outcome
    return outcome


@transaction.atomic
def change_cases(
    actor: User | None,
    items: list[tuple[Case, Mapping[str, Any]]],
    *,
    effective_on: dt.date | None = None,
    note: str = "",
    today: dt.date | None = None,
) -> list[list[CaseEvent] | ValidationError]:
    """change_case for many cases at once (the bulk API, file imports, reassignment), and the one
    implementation of it: the same validation, events and clock upkeep, written set-based -- one
    locking SELECT, one uniqueness query, one UPDATE of the changed columns, one INSERT of events
    and one of historical rows, then the clock upkeep for the batch.

    Returns, per item in order, the events written or the ValidationError that refused the row;
    a refused row writes nothing, the others are saved. Each case appears at most once.
    """
    today = today or timezone.localdate()
    locked = Case.objects.select_for_update().in_bulk([case.pk for case, _changes in items])
    attach_related(locked.values())
    outcomes: dict[int, list[CaseEvent] | ValidationError] = {}
    batch: list[_Change] = []
    for given, changes in items:
        case = locked.get(given.pk)
        if case is None:
            outcomes[given.pk] = ValidationError({"non_field_errors": [_("This case no longer exists.")]})
            continue
        unknown = set(changes) - set(EDITABLE_FIELDS)
        if unknown:
            outcomes[case.pk] = ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
            continue
        real = _real_changes(case, changes)
        if not real:
            outcomes[case.pk] = []
            continue
        change = _Change(case, real, _snapshot(case, EDITABLE_FIELDS), case.status)
        for name, value in real.items():
            setattr(case, name, value)
        try:
            _validate(case, today, check_clashes=False)
        except ValidationError as exc:
            outcomes[case.pk] = exc
            continue
        case.set_lines()
        batch.append(change)
    refused: dict[int, ValidationError] = {}
    if effective_on is not None:
        _check_effective_on(batch, effective_on, today, refused)
        batch = [c for c in batch if c.case.pk not in refused]
    _claim_unique_values(batch, refused)
    outcomes.update(refused)
    batch = [c for c in batch if c.case.pk not in refused]
    if batch:
        try:
            with transaction.atomic():
                _write_changes(actor, batch, effective_on=effective_on, note=note, today=today, outcomes=outcomes)
        except IntegrityError:
            # A concurrent writer took a number or an external id meanwhile: one by one, so
            # that only the clashing rows are refused.
            if len(batch) == 1:
                outcomes[batch[0].case.pk] = ValidationError(
                    {
                        "case_number": [
                            _("This case was registered at the same moment by someone else; reload and try again.")
                        ]
                    }
                )
            else:
                for change in batch:
                    (outcomes[change.case.pk],) = change_cases(
                        actor,
                        [(Case(pk=change.case.pk), change.real)],
                        effective_on=effective_on,
                        note=note,
                        today=today,
                    )
    return [outcomes[case.pk] for case, _changes in items]


def _write_changes(
    actor: User | None,
    batch: list[_Change],
    *,
    effective_on: dt.date | None,
    note: str,
    today: dt.date,
    outcomes: dict,
) -> None:
    now = timezone.now()
    columns: set[str] = {"updated_at"}
    for change in batch:
        change.case.updated_at = now
        columns.update(change.real)
        if "case_number" in change.real:
            columns.update(_NUMBER_FIELDS)
        if "filed_on" in change.real:
            columns.update(_LINE_FIELDS)
    cases = [change.case for change in batch]
    update_rows(Case, cases, sorted(columns))
    record_bulk(Case, cases, update=True)
    events: list[CaseEvent] = []
    for change in batch:
        case = change.case
        written = []
        for kind, fields in _event_kinds(change.before_status, change.real):
            if kind == EventKind.CLOSED:
                when = case.closed_on
            elif kind == EventKind.FILING_DATE_CORRECTED:
                when = case.filed_on
            else:
                when = effective_on or today
            written.append(
                CaseEvent(
                    case=case,
                    kind=kind,
                    actor=actor,
                    effective_on=when,
                    note=note,
                    before={name: change.before[name] for name in fields},
                    after=_snapshot(case, fields),
                )
            )
        outcomes[case.pk] = written
        events.extend(written)
    insert_rows(CaseEvent, events)
    # What follows elsewhere (the clock: suspension periods, resumption of waiting cases, the
    # stored deadline).
    extensions.after_changed(
        actor, [(c.before_status, c.case, set(c.real)) for c in batch], effective_on or today, today
    )


def _require_status(case: Case, allowed: set[str], message: str) -> None:
    if case.status not in allowed:
        raise ValidationError({"status": [message]})


def suspend_case(actor: User | None, case: Case, *, on: dt.date | None = None, note: str = "") -> list[CaseEvent]:
    _require_status(case, {CaseStatus.OPEN}, _("Only an open case can be suspended."))
    return change_case(actor, case, {"status": CaseStatus.SUSPENDED}, effective_on=on, note=note)


def resume_case(actor: User | None, case: Case, *, on: dt.date | None = None, note: str = "") -> list[CaseEvent]:
    _require_status(case, {CaseStatus.SUSPENDED}, _("Only a suspended case can be resumed."))
    return change_case(actor, case, {"status": CaseStatus.OPEN}, effective_on=on, note=note)


def close_case(
    actor: User | None, case: Case, *, closed_on: dt.date, closure_method: str, note: str = ""
) -> list[CaseEvent]:
    _require_status(case, {CaseStatus.OPEN, CaseStatus.SUSPENDED}, _("This case is already closed."))
    return change_case(
        actor, case, {"status": CaseStatus.CLOSED, "closed_on": closed_on, "closure_method": closure_method}, note=note
    )


def reopen_case(actor: User | None, case: Case, *, note: str) -> list[CaseEvent]:
    """Undo a closing recorded in error. Follow-on proceedings are new, linked cases."""
    _require_status(case, {CaseStatus.CLOSED}, _("Only a closed case can be reopened."))
    if not note.strip():
        raise ValidationError({"note": [_("Say why the closing was recorded in error.")]})
    return change_case(actor, case, {"status": CaseStatus.OPEN, "closed_on": None, "closure_method": ""}, note=note)


def transfer_case(
    actor: User | None,
    case: Case,
    *,
    division: Division | None = None,
    handler: User | None = None,
    on: dt.date | None = None,
    note: str = "",
) -> list[CaseEvent]:
    changes: dict[str, Any] = {}
    if division is not None:
        changes["division"] = division
    if handler is not None:
        changes["handler"] = handler
    if not changes:
        raise ValidationError({"division": [_("Choose a new division or handler.")]})
    return change_case(actor, case, changes, effective_on=on, note=note)


def change_procedure(
    actor: User | None, case: Case, *, procedure: str, on: dt.date | None = None, note: str = ""
) -> list[CaseEvent]:
    """E.g. simple → ordinary (简转普). The filing date, and so every line, stays."""
    return change_case(actor, case, {"procedure": procedure}, effective_on=on, note=note)


@transaction.atomic
def link_cases(actor: User | None, case: Case, target: Case, kind: str) -> CaseLink:
    if case.pk == target.pk:
        raise ValidationError({"target": [_("A case cannot be linked to itself.")]})
    link, created = CaseLink.objects.get_or_create(case=case, target=target, kind=kind)
    if created:
        CaseEvent.objects.create(
            case=case,
            kind=EventKind.LINKED,
            actor=actor,
            effective_on=timezone.localdate(),
            after={"kind": kind, "target": target.case_number},
        )
    return link


@transaction.atomic
@transaction.atomic
def reassign_cases(actor: User | None, cases, handler: User, note: str = "") -> int:
    """Move open cases to another handler, one event each (a departing judge's docket): all of
    them or, when one is refused, none."""
    outcomes = change_cases(actor, [(case, {"handler": handler}) for case in cases.only("pk")], note=note)
    for outcome in outcomes:
        if isinstance(outcome, ValidationError):
            raise outcome
    return sum(1 for outcome in outcomes if outcome)


def acting_period_errors(
    acting_from: dt.date | None, acting_until: dt.date | None, today: dt.date | None = None
) -> dict[str, list[str]]:
    """An acting head's period is a plan that may have begun already: from EARLIEST up to the
    plan horizon (cases.dates). Also used by the divisions API, which writes divisions itself."""
    today = today or timezone.localdate()
    errors = {}
    for name, day in (("acting_from", acting_from), ("acting_until", acting_until)):
        if day is not None:
            error = dates.check(day, earliest=[dates.earliest_filing()], latest=[dates.not_after_horizon(today)])
            if error:
                errors[name] = [error]
    return errors


@transaction.atomic
def acting_head_errors(
    acting_head: User | None, acting_from: dt.date | None, acting_until: dt.date | None
) -> dict[str, list[str]]:
    """What is wrong with naming `acting_head` for these days (empty: nothing), keyed by field;
    shared by set_acting_head and the admin's division form."""
    errors: dict[str, list[str]] = {}
    if acting_head is not None:
        if not acting_head.is_active:
            errors["acting_head"] = [_("%(name)s is no longer active.") % {"name": acting_head}]
        if acting_from is None or acting_until is None:
            errors["acting_until"] = [_("Give the first and the last day of the period.")]
        elif acting_until < acting_from:
            errors["acting_until"] = [_("The end date is before the start date.")]
        else:
            errors.update(acting_period_errors(acting_from, acting_until))
    return errors


def set_acting_head(
    actor: User | None,
    division: Division,
    acting_head: User | None,
    *,
    acting_from: dt.date | None = None,
    acting_until: dt.date | None = None,
) -> Division:
    """Name who stands in for the division head from `acting_from` to `acting_until`
    (both days included), or clear the stand-in when `acting_head` is None."""
    errors = acting_head_errors(acting_head, acting_from, acting_until)
    if errors:
        raise ValidationError(errors)
    division = Division.objects.select_for_update().get(pk=division.pk)
    division.acting_head = acting_head
    division.acting_from = acting_from if acting_head else None
    division.acting_until = acting_until if acting_head else None
    division.save(update_fields=["acting_head", "acting_from", "acting_until"])
    return division


# --- the staff register (the API's org-chart sync) ----------------------------------------------

PERSON_FIELDS = ("username", "name", "division", "is_active")


def _check_staff_change(actor: User, person: User | None, fields: Mapping[str, Any], roles) -> None:
    refusals = permissions.staff_change_refusals(actor, person, fields, roles)
    if refusals:
        raise PermissionDenied(refusals)


def _set_roles(person: User, roles: Iterable[str]) -> None:
    """Give `person` exactly `roles`. The audit trail records the change (the groups are
    audited) with who made it and from where; the reason says which roles changed."""
    before, after = sorted(person.roles), sorted(set(roles))
    if before == after:
        return
    person._change_reason = f"roles: {', '.join(before) or '-'} -> {', '.join(after) or '-'}"[:100]
    try:
        person.set_roles(after)
    finally:
        del person._change_reason


@transaction.atomic
def create_person(actor: User, *, roles: Iterable[str] = (), court: Court | None = None, **fields: Any) -> User:
    """A new staff account without a password (they sign in once an administrator sets one up),
    with `fields` (PERSON_FIELDS) and `roles`, as `actor` may give them (cases.permissions)."""
    roles = list(roles)
    _check_staff_change(actor, None, fields, roles)
    person = User(court=court, **{name: value for name, value in fields.items() if name in PERSON_FIELDS})
    person.set_unusable_password()
    person.save()
    _set_roles(person, roles)
    return person


@transaction.atomic
def update_person(actor: User, person: User, *, roles: Iterable[str] | None = None, **fields: Any) -> User:
    """Change `fields` (PERSON_FIELDS) and, when given, the roles of `person`, as `actor` may."""
    roles = list(roles) if roles is not None else None
    _check_staff_change(actor, person, fields, roles)
    changed = [name for name in PERSON_FIELDS if name in fields and getattr(person, name) != fields[name]]
    for name in changed:
        setattr(person, name, fields[name])
    if changed:
        person.save(update_fields=changed)
    if roles is not None:
        _set_roles(person, roles)
    return person


def set_language_preference(user: User, language: str) -> None:
    """Keep `user`'s choice of page language (one of settings.LANGUAGES), for every computer they use."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError({"language": [_("Unknown language.")]})
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
