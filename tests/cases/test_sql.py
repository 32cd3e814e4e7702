"""The bulk writers in common.sql, on PostgreSQL and on SQLite (the embedded default): what they
write is what the ORM would have written."""

import datetime as dt

import pytest
from django.utils import timezone

from cases import ageing
from cases.models import Case, CaseEvent, Court, Division, EventKind
from common.sql import insert_rows, update_rows

D = dt.date


def _cases(using: str, count: int) -> list[Case]:
    court = Court.objects.using(using).create(name="测试法院", code="黔0281")
    division = Division.objects.using(using).create(court=court, code=f"civil-{using}", name="民一庭", kind="civil")
    cases = []
    for i in range(count):
        filed = D(2025, 1, 31) + dt.timedelta(days=i)
        cases.append(
            Case(
                court=court,
                division=division,
                case_number=f"（2025）黔0281民初{i + 1}号",
                year=2025,
                court_code="黔0281",
                case_type="民初",
                seq=i + 1,
                category="civil",
                stage="first_instance",
                procedure="ordinary",
                cause="民间借贷纠纷",
                parties="张三诉李四",
                filed_on=filed,
                status="open",
                closure_method="",
                **ageing.lines_for(filed),
            )
        )
    return cases


@pytest.mark.parametrize("using", ["default", "sqlite"])
@pytest.mark.django_db(databases=["default", "sqlite"])
def test_insert_rows_and_update_rows_write_what_the_orm_would(using):
    cases = insert_rows(Case, _cases(using, 30), using=using)
    assert all(case.pk for case in cases)
    stored = Case.objects.using(using).order_by("pk")
    assert [c.pk for c in stored] == [c.pk for c in cases]
    assert stored[0].updated_at is not None  # auto_now ran
    assert list(stored.values_list("case_number", "filed_on", "line_6m")[:2]) == [
        ("（2025）黔0281民初1号", D(2025, 1, 31), D(2025, 7, 31)),
        ("（2025）黔0281民初2号", D(2025, 2, 1), D(2025, 8, 1)),
    ]
    events = insert_rows(
        CaseEvent,
        [CaseEvent(case=c, kind=EventKind.REGISTERED, effective_on=c.filed_on, after={"n": c.seq}) for c in cases],
        using=using,
    )
    assert CaseEvent.objects.using(using).get(pk=events[4].pk).after == {"n": 5}  # JSON prepared by its field

    # Close every other case, clear a date, change text: update_rows writes exactly those columns.
    moment = timezone.now()
    for case in cases[::2]:
        case.status, case.closed_on, case.closure_method = "closed", D(2025, 12, 31), "judgment"
        case.cause = "买卖合同纠纷, with a 'quote' and 100%"
        case.updated_at = moment
    cases[1].deadline = D(2026, 1, 5)
    changed = cases[::2]
    assert (
        update_rows(
            Case, changed, ["status", "closed_on", "closure_method", "cause", "updated_at"], using=using, batch=7
        )
        == 15
    )
    assert update_rows(Case, [cases[1]], ["deadline"], using=using) == 1
    rows = {c.pk: c for c in Case.objects.using(using).all()}
    for i, case in enumerate(cases):
        row = rows[case.pk]
        if i % 2 == 0:
            assert (row.status, row.closed_on, row.closure_method) == ("closed", D(2025, 12, 31), "judgment")
            assert row.cause == "买卖合同纠纷, with a 'quote' and 100%" and row.updated_at == moment
        else:
            assert (row.status, row.closed_on, row.cause) == ("open", None, "民间借贷纠纷")
    assert rows[cases[1].pk].deadline == D(2026, 1, 5) and rows[cases[3].pk].deadline is None
