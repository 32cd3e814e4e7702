"""The clock's move from `cases` to `limits` (limits.0001, cases.0011) keeps every row: migrate
back to before it, write a ledger through the models as they were, migrate forward, and find
the same rows in the renamed tables. PostgreSQL runs the schema changes inside the test's
transaction, which is rolled back at the end."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cases.models import Case as NewCase
from limits.models import (
    ExcludedPeriod,
    Extension,
    ExtensionStep,
    HiddenOverrunFlag,
    LimitRule,
    WorkingDay,
    WorkingDayOverride,
)

BEFORE = [("limits", None)]  # limits.0001 and what depends on it (cases.0011, audit.0005) undone
LAST_BEFORE = ("cases", "0010_open_division_lines_index")

D = dt.date


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(LAST_BEFORE).apps


@pytest.mark.django_db
def test_rows_and_clocks_survive_the_move():
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = _migrate(BEFORE)
    assert "cases_excludedperiod" in connection.introspection.table_names()
    Court, Division, Case = (old.get_model("cases", name) for name in ("Court", "Division", "Case"))
    User = old.get_model("cases", "User")
    OldRule, OldPeriod, OldExtension = (old.get_model("cases", n) for n in ("LimitRule", "ExcludedPeriod", "Extension"))
    OldOverride, OldFlag = old.get_model("cases", "WorkingDayOverride"), old.get_model("cases", "HiddenOverrunFlag")
    court = Court.objects.create(name="盘州市人民法院", code="黔0281")
    division = Division.objects.create(court=court, code="MS1", name="民事审判第一庭")
    user = User.objects.create(username="clerk-move")
    rule = OldRule.objects.filter(category="civil", stage="first_instance").order_by("pk").first()
    case = Case.objects.create(
        court=court,
        division=division,
        case_number="（2024）黔0281民初100号",
        case_type="民初",
        category="civil",
        stage="first_instance",
        procedure="ordinary",
        year=2024,
        court_code="黔0281",
        seq=100,
        filed_on=D(2024, 3, 1),
        line_6m=D(2024, 9, 1),
        line_12m=D(2025, 3, 1),
        line_15m=D(2025, 6, 1),
        limit_rule=rule,
        limit_nominal=D(2024, 9, 1),
        limit_raw=D(2024, 9, 21),
        limit_excluded_days=20,
        deadline=D(2024, 9, 23),
    )
    period = OldPeriod.objects.create(
        case=case, reason_code="appraisal", start=D(2024, 4, 1), end=D(2024, 4, 20), recorded_by=user
    )
    extension = OldExtension.objects.create(
        case=case, step=1, length=6, unit="months", reason="案情复杂", requested_on=D(2024, 8, 1), requested_by=user
    )
    override = OldOverride.objects.create(day=D(2024, 9, 20), is_working=False, note="local", created_by=user)
    flag = OldFlag.objects.create(
        case=case, rule="many_suspensions", first_flagged_on=D(2024, 5, 1), last_seen_on=D(2024, 5, 1)
    )
    counts = {
        name: old.get_model("cases", name).objects.count() for name in ("LimitRule", "ExtensionStep", "WorkingDay")
    }
    ContentType.objects.get_or_create(app_label="cases", model="excludedperiod")

    _migrate(leaves)

    tables = connection.introspection.table_names()
    assert "limits_excludedperiod" in tables and "cases_excludedperiod" not in tables
    moved = ExcludedPeriod.objects.get(pk=period.pk)
    assert (moved.case_id, moved.start, moved.end, moved.recorded_by_id) == (
        case.pk,
        D(2024, 4, 1),
        D(2024, 4, 20),
        user.pk,
    )
    assert Extension.objects.get(pk=extension.pk).reason == "案情复杂"
    assert WorkingDayOverride.objects.get(pk=override.pk).day == D(2024, 9, 20)
    assert HiddenOverrunFlag.objects.get(pk=flag.pk).case_id == case.pk
    assert counts == {
        "LimitRule": LimitRule.objects.count(),
        "ExtensionStep": ExtensionStep.objects.count(),
        "WorkingDay": WorkingDay.objects.count(),
    }
    stored = NewCase.objects.values_list("limit_rule_id", "deadline", "limit_raw", "limit_excluded_days").get(
        pk=case.pk
    )
    assert stored == (rule.pk, D(2024, 9, 23), D(2024, 9, 21), 20)
    # The content type followed the model: permissions and admin history stay attached.
    assert ContentType.objects.filter(app_label="limits", model="excludedperiod").exists()
    assert not ContentType.objects.filter(app_label="cases", model="excludedperiod").exists()
