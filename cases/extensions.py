"""What the apps above the register add to it: one explicit hook, registered at start-up.

The register (`cases`) names none of the apps above it. An app that keeps state derived from a
case -- the statutory clock of `limits` -- subclasses `CaseExtension` and registers an instance
in its `AppConfig.ready()`. The case services then call every registered extension at fixed
points, in registration order, in the same transaction as the change: an extension's error rolls
the change back. This is not a Django signal on purpose: the calls are few, named, ordered and
synchronous, and reading `cases.services` shows each one (`extensions.<hook>(…)`).

Why a hook and not orchestration above both apps: every writer of cases (the pages, the API,
file imports, jobs, the admin) goes through `cases.services`, and the clock must follow every
one of them; a layer above would have to be the only door, which the register's own pages and
API could not use without importing it.

Read-side: `annotate(queryset, as_of)` adds an extension's computed columns to case queries
(the case API's lists and details), and `api_fields()` the read-only fields that show them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from . import dates

if TYPE_CHECKING:
    from .models import Case, Court, User

# One change: (status before — None for a case just registered, the saved case, changed fields).
Change = tuple[str | None, "Case", set[str]]


class CaseExtension:
    """Every hook does nothing; an extension overrides the ones it needs."""

    def prepare_new(self, cases: list[Case], today: dt.date) -> None:
        """Before unsaved cases are inserted in bulk: fill the columns the extension owns."""

    def registered(self, actor: User | None, cases: list[Case], today: dt.date) -> None:
        """After cases registered in bulk were inserted (their events written)."""

    def effective_on_bounds(self, changes: list[Change]) -> dict[int, list[dates.Bound]]:
        """Before changes are saved: by case id, the earliest days the change may take effect
        beyond the register's own (e.g. not before the suspension a resumption ends).
        `changes` are (status before, changed unsaved case, changed fields)."""
        return {}

    def changed(self, actor: User | None, changes: list[Change], effective_on: dt.date, today: dt.date) -> None:
        """After cases were saved or registered one by one (status before None)."""

    def seeded(self, court: Court, today: dt.date) -> None:
        """After the demo court's cases were loaded in bulk (`seed_demo`), with the columns
        `prepare_new` filled for cases like them."""

    def annotate(self, queryset: QuerySet, as_of: dt.date) -> QuerySet:
        """Computed columns for case reads as of a date (the case API)."""
        return queryset

    def api_fields(self) -> dict[str, Any]:
        """Read-only serializer fields of the case API, reading `annotate`'s columns."""
        return {}


_registered: list[CaseExtension] = []


def register(extension: CaseExtension) -> None:
    """Called from an AppConfig.ready(); registering the same kind twice is ignored."""
    if not any(type(existing) is type(extension) for existing in _registered):
        _registered.append(extension)


def registered() -> Iterable[CaseExtension]:
    return tuple(_registered)


def prepare_new(cases: list[Case], today: dt.date) -> None:
    for extension in _registered:
        extension.prepare_new(cases, today)


def after_registered(actor: User | None, cases: list[Case], today: dt.date) -> None:
    for extension in _registered:
        extension.registered(actor, cases, today)


def effective_on_bounds(changes: list[Change]) -> dict[int, list[dates.Bound]]:
    bounds: dict[int, list[dates.Bound]] = {}
    for extension in _registered:
        for case_id, more in extension.effective_on_bounds(changes).items():
            bounds.setdefault(case_id, []).extend(more)
    return bounds


def after_changed(actor: User | None, changes: list[Change], effective_on: dt.date, today: dt.date) -> None:
    for extension in _registered:
        extension.changed(actor, changes, effective_on, today)


def after_seeded(court: Court, today: dt.date) -> None:
    for extension in _registered:
        extension.seeded(court, today)


def annotate(queryset: QuerySet, as_of: dt.date) -> QuerySet:
    for extension in _registered:
        queryset = extension.annotate(queryset, as_of)
    return queryset


def api_fields() -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for extension in _registered:
        fields.update(extension.api_fields())
    return fields
