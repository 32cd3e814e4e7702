"""The audit trail of writes made in bulk.

The audit app registers the case register's models with django-simple-history, which writes a
historical row on every `save()`. `bulk_create` and `bulk_update` call no `save()`, so the set-based
services (bulk registration, bulk changes) record their historical rows here: one INSERT … SELECT
that copies the rows just written, with the same who, when, source and address a `save()` would
record. The register does not depend on the audit app: a model that nobody audits has no `history`
manager and nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import models
from django.db.models import Value
from django.utils import timezone

from .sql import insert_select


def record_bulk(model: type[models.Model], objs: Sequence[models.Model], *, update: bool) -> int:
    """Historical rows for `objs`, just written by bulk_create (update=False) or bulk_update.

    Who made the change is taken as for a `save()`: the user of the request being served, if any.
    Returns the number of rows written.
    """
    manager = getattr(model, "history", None)
    if manager is None or not objs:
        return 0
    historical = manager.model
    user = historical.get_default_history_user(objs[0])
    stamp = {
        "history_date": timezone.now(),
        "history_type": "~" if update else "+",
        "history_change_reason": None,
        "history_user": getattr(user, "pk", None),
        # The audit app's extra columns (where the change came from), which simple-history's
        # per-row hook would have filled in.
        **(historical.bulk_attrs() if hasattr(historical, "bulk_attrs") else {}),
    }
    tracked = [field.name for field in historical.tracked_fields]
    rows = (
        model._default_manager.filter(pk__in=[obj.pk for obj in objs])
        .annotate(
            **{
                f"stamp_{name}": Value(value, output_field=historical._meta.get_field(name))
                for name, value in stamp.items()
            }
        )
        .values_list(*tracked, *(f"stamp_{name}" for name in stamp))
    )
    return insert_select(historical, [*tracked, *stamp], rows)
