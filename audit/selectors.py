"""Reads of the audit trail for pages: what changed on a case, field by field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cases.models import Case


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: Any
    new: Any


@dataclass(frozen=True)
class TrailEntry:
    when: Any
    who: Any
    source: str
    kind: str
    changes: list[FieldChange]


_SKIP = {"updated_at", "created_at", "line_6m", "line_12m", "line_15m"}


def case_trail(case: Case, limit: int = 200) -> list[TrailEntry]:
    """The audit trail of one case, newest first, each entry with the fields it changed.

    Two queries whatever the length: the historical rows, then nothing more (users are
    joined). Diffs are taken between consecutive rows in Python, a few hundred at most.
    """
    rows = list(case.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    labels = {f.name: str(f.verbose_name) for f in Case._meta.fields}
    entries: list[TrailEntry] = []
    for newer, older in zip(rows, rows[1:] + [None], strict=False):
        if len(entries) == limit:
            break
        changes = []
        if older is not None:
            delta = newer.diff_against(older, foreign_keys_are_objs=False)
            changes = [
                FieldChange(c.field, labels.get(c.field, c.field), c.old, c.new)
                for c in delta.changes
                if c.field not in _SKIP
            ]
        entries.append(
            TrailEntry(
                when=newer.history_date,
                who=newer.history_user,
                source=newer.get_history_source_display(),
                kind=newer.get_history_type_display(),
                changes=changes,
            )
        )
    return entries
