"""The audit trail of writes made in bulk.

The audit app registers the case register's models with django-simple-history, which writes a
historical row on every `save()`. `bulk_create` and `bulk_update` call no `save()`, so the set-based
services (bulk registration, bulk changes) record their historical rows here, in one INSERT. The
register does not depend on the audit app: a model that nobody audits has no `history` manager and
nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import models


def record_bulk(model: type[models.Model], objs: Sequence[models.Model], *, update: bool) -> None:
    """Historical rows for `objs`, just written by bulk_create (update=False) or bulk_update.

    Who made the change is taken as for a `save()`: the user of the request being served, if any."""
    manager = getattr(model, "history", None)
    if manager is None or not objs:
        return
    historical = manager.model
    # The audit app's extra columns (where the change came from), which simple-history's
    # per-row hook would have filled in.
    extra = historical.bulk_attrs() if hasattr(historical, "bulk_attrs") else None
    manager.bulk_history_create(objs, update=update, custom_historical_attrs=extra)
