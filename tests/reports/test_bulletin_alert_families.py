"""The monthly bulletin lists cases by the ageing rule alone: a time-limit alert (审限) on a case
under 6 months puts nothing in it."""

from __future__ import annotations

import datetime as dt

import pytest

from alerts.models import Alert
from reports import services
from reports.periods import Period

D = dt.date
pytestmark = pytest.mark.django_db


def test_time_limit_alerts_do_not_enter_the_bulletin(org):
    over_6m = org.case(D(2024, 8, 27))  # over 6 months on 2025-02-28
    young = org.case(D(2024, 12, 1))  # 3 months old, over a (short) statutory limit
    for case, raised_on in ((over_6m, D(2025, 2, 20)), (young, D(2025, 2, 10))):
        Alert.objects.create(
            case=case,
            kind="time_limit",
            level="limit_overdue",
            line_date=raised_on - dt.timedelta(days=1),
            raised_on=raised_on,
        )
    bulletin = services.build_bulletin(Period(2025, 2)).bulletin
    assert list(bulletin.items.values_list("case_id", flat=True)) == [over_6m.pk]
