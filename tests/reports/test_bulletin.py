"""The monthly bulletin: contents on month ends, figures, rebuilds, publication, numbering,
sign-off, catch-up and the job/command/task shells."""

from __future__ import annotations

import datetime as dt
import random
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from alerts.models import ClearancePlan, PlanReason, PlanStatus
from cases import ageing
from cases.models import Case
from cases.services import close_case
from jobs.models import JobOutcome, JobRun
from reports import services
from reports.models import Bulletin, BulletinFigure, BulletinItem, BulletinSignOff, BulletinStatus, FigureScope, Job
from reports.periods import Period
from reports.schedule_days import bulletins_due
from reports.selectors import bulletin_document, cleared_items, visible_bulletins
from reports.tasks import build_bulletin_task

D = dt.date


@pytest.fixture
def scene(org):
    """Cases around the February 2025 bulletin (as of 2025-02-28)."""
    c = {
        # Line 2025-02-27: over 6 months on the 28th.
        "c1": org.case(D(2024, 8, 27), judge="civil-a"),
        # Filed on the 31st: the line is clipped to 2025-02-28, so exactly 6 months, not over.
        "c2": org.case(D(2024, 8, 31), judge="civil-a"),
        # Over 15 months (line 2025-01-15): a key warning.
        "c3": org.case(D(2023, 10, 15), judge="civil-b"),
        # Over 12 months, not 15.
        "c4": org.case(D(2024, 1, 10), judge="enf-a"),
        # Closed after the bulletin's date: open on the 28th, so listed.
        "c5": org.case(D(2024, 6, 1), judge="civil-a", closed_on=D(2025, 3, 10)),
        # Closed in February: not listed, counts as closed in the month.
        "c6": org.case(D(2024, 6, 1), judge="civil-a", closed_on=D(2025, 2, 10)),
        # Received in February.
        "c7": org.case(D(2025, 2, 5), judge="enf-b"),
        # Suspended still ages.
        "c8": org.case(D(2024, 7, 1), judge="civil-b", status="suspended"),
        # Over 6 months a year earlier (2024-02-29), closed since.
        "c9": org.case(D(2023, 5, 1), judge="enf-a", closed_on=D(2024, 12, 1)),
    }
    return c


def _items(bulletin):
    return {i.case_id: i for i in bulletin.items.all()}


def _figure(bulletin, scope, division=None, handler=None):
    return BulletinFigure.objects.get(bulletin=bulletin, scope=scope, division=division, handler=handler)


def test_contents_on_a_month_end(org, scene):
    result = services.build_bulletin(Period(2025, 2))
    bulletin = result.bulletin
    assert bulletin.as_of == D(2025, 2, 28)
    assert result.outcome == "built"
    items = _items(bulletin)
    listed = {k for k, case in scene.items() if case.pk in items}
    assert listed == {"c1", "c3", "c4", "c5", "c8"}
    assert result.listed == 5 and result.key_warnings == 1
    c3 = items[scene["c3"].pk]
    assert c3.key_warning and c3.over_12m
    assert c3.case_number == scene["c3"].case_number
    assert c3.division_name == "民一庭" and c3.handler_name == "民一庭法官b"
    assert items[scene["c4"].pk].over_12m and not items[scene["c4"].pk].key_warning
    assert items[scene["c8"].pk].suspended
    # Every item's age is what the ageing function says for that case on that date.
    for case in Case.objects.filter(pk__in=items):
        expected = ageing.age(case.filed_on, case.closed_on, bulletin.as_of)
        item = items[case.pk]
        assert (item.age_days, item.age_months) == (expected.age_days, expected.age_months)
        assert item.key_warning == (expected.level == ageing.Level.OVER_15M)


def test_figures_per_court_division_and_handler(org, scene):
    bulletin = services.build_bulletin(Period(2025, 2)).bulletin
    court = _figure(bulletin, FigureScope.COURT)
    assert (court.open_cases, court.listed, court.over_12m, court.over_15m) == (7, 5, 2, 1)
    assert (court.received, court.closed) == (1, 1)
    assert court.clearance_ratio == 1.0
    assert court.share_of_open == pytest.approx(5 / 7)
    assert court.listed_last_year == 1  # c9 on 2024-02-29
    assert court.new_listed == 5 and court.cleared == 0  # no previous bulletin: all new
    ages = [(D(2025, 2, 28) - scene[k].filed_on).days for k in ("c1", "c2", "c3", "c4", "c5", "c7", "c8")]
    assert court.average_age_days == pytest.approx(sum(ages) / 7)
    assert court.closed_days == (D(2025, 2, 10) - D(2024, 6, 1)).days

    civil = _figure(bulletin, FigureScope.DIVISION, division=org.civil)
    assert (civil.open_cases, civil.listed, civil.over_15m) == (5, 4, 1)
    enforcement = _figure(bulletin, FigureScope.DIVISION, division=org.enforcement)
    assert (enforcement.open_cases, enforcement.listed, enforcement.listed_last_year) == (2, 1, 1)
    judge = _figure(bulletin, FigureScope.HANDLER, division=org.civil, handler=org.judges["civil-a"])
    assert (judge.open_cases, judge.listed, judge.closed) == (3, 2, 1)
    assert judge.handler_name == "民一庭法官a"
    # The division rows add up to the court row, the handler rows to their division.
    for name in ("open_cases", "listed", "over_12m", "over_15m", "received", "closed", "open_age_days"):
        divisions = BulletinFigure.objects.filter(bulletin=bulletin, scope=FigureScope.DIVISION)
        assert sum(getattr(f, name) for f in divisions) == getattr(court, name)
        handlers = BulletinFigure.objects.filter(bulletin=bulletin, scope=FigureScope.HANDLER, division=org.civil)
        assert sum(getattr(f, name) for f in handlers) == getattr(civil, name)


def test_items_agree_with_the_ageing_function_on_many_dates(org):
    rng = random.Random(7)
    for _ in range(150):
        filed = D(2022, 1, 1) + dt.timedelta(days=rng.randrange(1300))
        closed = filed + dt.timedelta(days=rng.randrange(900)) if rng.random() < 0.4 else None
        org.case(filed, judge=rng.choice(list(org.judges)), closed_on=closed)
    cases = list(Case.objects.all())
    for period in (Period(2024, 2), Period(2024, 8), Period(2025, 1), Period(2025, 6)):
        bulletin = services.build_bulletin(period).bulletin
        items = _items(bulletin)
        expected = {
            c.pk: ageing.age(c.filed_on, c.closed_on, bulletin.as_of)
            for c in cases
            if ageing.age(c.filed_on, c.closed_on, bulletin.as_of).level
            in (ageing.Level.OVER_6M, ageing.Level.APPROACHING_15M, ageing.Level.OVER_15M)
        }
        assert set(items) == set(expected), period
        for pk, a in expected.items():
            assert items[pk].age_months == a.age_months
            assert items[pk].age_days == a.age_days
            assert items[pk].key_warning == (a.level == ageing.Level.OVER_15M)


def test_plan_status_and_reason_are_frozen_with_the_item(org, scene):
    case = scene["c3"]
    ClearancePlan.objects.create(
        case=case,
        version=1,
        author=org.judges["civil-b"],
        reason=PlanReason.APPRAISAL,
        expected_close_on=D(2025, 4, 30),
        steps="等待鉴定意见",
        status=PlanStatus.SUBMITTED,
        submitted_at=timezone.now(),
    )
    # A draft version is still the handler's own: the bulletin shows the submitted one.
    ClearancePlan.objects.create(
        case=case,
        version=2,
        author=org.judges["civil-b"],
        reason=PlanReason.OTHER,
        reason_text="draft",
        expected_close_on=D(2025, 5, 30),
        steps="…",
        status=PlanStatus.DRAFT,
    )
    item = _items(services.build_bulletin(Period(2025, 2)).bulletin)[case.pk]
    assert (item.plan_status, item.plan_reason, item.plan_expected_on) == ("submitted", "appraisal", D(2025, 4, 30))
    assert _items(Bulletin.objects.get())[scene["c1"].pk].plan_status == ""


def test_rebuilding_a_draft_is_idempotent(org, scene):
    first = services.build_bulletin(Period(2025, 2))
    before = sorted(BulletinItem.objects.values_list("case_id", "age_days", "age_months", "key_warning"))
    figures = sorted(BulletinFigure.objects.values_list("scope", "division_id", "handler_id", "listed", "open_cases"))
    again = services.build_bulletin(Period(2025, 2))
    assert again.outcome == "rebuilt" and again.bulletin.pk == first.bulletin.pk
    assert sorted(BulletinItem.objects.values_list("case_id", "age_days", "age_months", "key_warning")) == before
    assert (
        sorted(BulletinFigure.objects.values_list("scope", "division_id", "handler_id", "listed", "open_cases"))
        == figures
    )
    assert Bulletin.objects.count() == 1


def test_a_rebuild_that_fails_half_way_leaves_the_old_draft(org, scene, monkeypatch):
    services.build_bulletin(Period(2025, 2))
    before = sorted(BulletinItem.objects.values_list("case_id", flat=True))
    org.case(D(2024, 1, 2), judge="enf-b")  # would be listed by a rebuild

    def boom(*args, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(services, "_figure_rows", boom)
    with pytest.raises(RuntimeError):
        services.build_bulletin(Period(2025, 2))
    # The items were deleted and re-inserted before the failure; the rollback undid both.
    assert sorted(BulletinItem.objects.values_list("case_id", flat=True)) == before
    assert BulletinFigure.objects.filter(scope=FigureScope.COURT).count() == 1


def test_change_against_the_previous_bulletin(org, scene):
    january = services.build_bulletin(Period(2025, 1)).bulletin
    listed_jan = {k for k, c in scene.items() if c.pk in _items(january)}
    assert listed_jan == {"c3", "c4", "c5", "c6", "c8"}
    february = services.build_bulletin(Period(2025, 2)).bulletin
    assert february.previous == january
    items = _items(february)
    assert items[scene["c1"].pk].newly_listed
    assert not items[scene["c3"].pk].newly_listed
    court = _figure(february, FigureScope.COURT)
    assert (court.new_listed, court.cleared, court.still_listed) == (1, 1, 4)
    assert court.change_since_previous == 0
    judge = _figure(february, FigureScope.HANDLER, division=org.civil, handler=org.judges["civil-a"])
    assert (judge.new_listed, judge.cleared, judge.still_listed) == (1, 1, 1)
    assert [i.case_id for i in cleared_items(february)] == [scene["c6"].pk]


def test_divisions_at_zero(org, scene):
    Case.objects.filter(division=org.enforcement, closed_on__isnull=True).update(
        status="closed", closed_on=D(2025, 2, 20), closure_method="judgment"
    )
    doc = bulletin_document(services.build_bulletin(Period(2025, 2)).bulletin)
    assert [d.division for d in doc.divisions_at_zero] == [org.enforcement]
    assert doc.court.listed == 4


def test_publish_freezes_the_bulletin(org, scene):
    with time_machine.travel(dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)):
        february = services.publish_bulletin(services.build_bulletin(Period(2025, 2)).bulletin, org.officer)
    assert february.status == BulletinStatus.PUBLISHED
    assert february.published_by == org.officer
    frozen = sorted(BulletinItem.objects.filter(bulletin=february).values_list("case_id", "age_days"))

    close_case(None, scene["c3"], closed_on=D(2025, 3, 5), closure_method="judgment")
    rerun = services.build_bulletin(Period(2025, 2))
    assert rerun.outcome == "unchanged"
    assert "published, unchanged" in rerun.describe()
    assert sorted(BulletinItem.objects.filter(bulletin=february).values_list("case_id", "age_days")) == frozen

    march = services.build_bulletin(Period(2025, 3)).bulletin
    assert scene["c3"].pk not in _items(march)
    assert scene["c3"].pk in _items(february)
    assert scene["c3"].pk in {i.case_id for i in cleared_items(march)}
    with pytest.raises(ValidationError):
        services.publish_bulletin(february, org.officer)


def test_only_the_tracking_officer_publishes(org, scene):
    bulletin = services.build_bulletin(Period(2025, 2)).bulletin
    for user in (org.heads["civil"], org.judges["civil-a"], org.president):
        with pytest.raises(PermissionDenied):
            services.publish_bulletin(bulletin, user)
    bulletin.refresh_from_db()
    assert bulletin.status == BulletinStatus.DRAFT


def test_numbered_as_issued_within_the_year(org, scene):
    def publish(period, when):
        with time_machine.travel(when):
            return services.publish_bulletin(services.build_bulletin(period).bulletin, org.officer)

    assert publish(Period(2025, 1), dt.datetime(2025, 2, 3, 2, 0, tzinfo=dt.UTC)).title == "2025年第1期"
    assert publish(Period(2025, 2), dt.datetime(2025, 3, 3, 2, 0, tzinfo=dt.UTC)).title == "2025年第2期"
    # December's bulletin is issued in January: the first issue of the new year, by local date
    # (2025-12-31 17:00 UTC is already 1 January in Shanghai).
    assert publish(Period(2025, 12), dt.datetime(2025, 12, 31, 17, 0, tzinfo=dt.UTC)).title == "2026年第1期"
    # A draft has no number, and the database refuses a published bulletin without one.
    draft = services.build_bulletin(Period(2026, 1)).bulletin
    assert draft.issue_number is None
    with pytest.raises(IntegrityError), transaction.atomic():
        Bulletin.objects.filter(pk=draft.pk).update(status=BulletinStatus.PUBLISHED)


def test_division_heads_sign_off_their_own_division(org, scene):
    bulletin = services.build_bulletin(Period(2025, 2)).bulletin
    with pytest.raises(ValidationError):
        services.sign_off_bulletin(bulletin, org.civil, org.heads["civil"])  # still a draft
    bulletin = services.publish_bulletin(bulletin, org.officer)

    sign_off = services.sign_off_bulletin(bulletin, org.civil, org.heads["civil"], note="已审阅")
    assert sign_off.signed_by == org.heads["civil"]
    # Signing again keeps the first record.
    assert services.sign_off_bulletin(bulletin, org.civil, org.heads["civil"]).pk == sign_off.pk
    for user, division in (
        (org.heads["civil"], org.enforcement),
        (org.judges["civil-a"], org.civil),
        (org.officer, org.civil),
        (org.president, org.enforcement),
    ):
        with pytest.raises(PermissionDenied):
            services.sign_off_bulletin(bulletin, division, user)
    assert BulletinSignOff.objects.count() == 1
    assert [d.division for d in bulletin_document(bulletin).awaiting_sign_off] == [org.enforcement]


def test_an_acting_head_signs_off_during_the_acting_period(org, scene):
    bulletin = services.publish_bulletin(services.build_bulletin(Period(2025, 2)).bulletin, org.officer)
    stand_in = org.judges["enf-a"]
    org.enforcement.acting_head = stand_in
    org.enforcement.acting_from = timezone.localdate() - dt.timedelta(days=1)
    org.enforcement.acting_until = timezone.localdate() + dt.timedelta(days=1)
    org.enforcement.save()
    with pytest.raises(PermissionDenied):
        services.sign_off_bulletin(bulletin, org.enforcement, org.heads["enf"])  # stood in for
    assert services.sign_off_bulletin(bulletin, org.enforcement, stand_in).signed_by == stand_in


def test_drafts_are_visible_to_the_office_and_leadership_only(org, scene):
    services.build_bulletin(Period(2025, 1))
    services.publish_bulletin(services.build_bulletin(Period(2025, 2)).bulletin, org.officer)
    assert visible_bulletins(org.officer).count() == 2
    assert visible_bulletins(org.president).count() == 2
    assert [b.period for b in visible_bulletins(org.judges["civil-a"])] == ["2025-02"]


def test_catch_up_builds_each_missed_month_for_its_own_date(org, scene):
    services.build_bulletin(Period(2024, 12))
    # Saturday 1 March 2025: the month's bulletin day is Monday the 3rd.
    assert bulletins_due(D(2025, 3, 1)) == []
    assert bulletins_due(D(2025, 3, 3)) == [Period(2025, 1), Period(2025, 2)]
    runs = services.build_due_bulletins(D(2025, 3, 3), trigger="test")
    assert [run.as_of for run, _result in runs] == [D(2025, 1, 31), D(2025, 2, 28)]
    january = Bulletin.objects.get(period="2025-01")
    assert january.as_of == D(2025, 1, 31)
    # c6 closed on 2025-02-10 was still open on 31 January: the late build sees it as then.
    assert scene["c6"].pk in _items(january)
    assert Bulletin.objects.get(period="2025-02").previous == january
    # Nothing is due any more: last month's bulletin is built (a rerun of its draft is by hand).
    assert bulletins_due(D(2025, 3, 4)) == []
    assert services.build_due_bulletins(D(2025, 3, 4), trigger="test") == []


def test_first_run_builds_last_month_only(org, scene):
    assert bulletins_due(D(2025, 3, 3)) == [Period(2025, 2)]


def test_which_bulletins_are_due_is_judged_on_the_bulletins_not_the_job_runs(org, scene):
    """A bulletin built without a job run (by hand, in the shell) is built; a successful run whose
    bulletin is gone is not."""
    services.build_bulletin(Period(2025, 2))
    assert bulletins_due(D(2025, 3, 3)) == []
    Bulletin.objects.all().delete()
    services.run_bulletin_job(Period(2025, 1), trigger="test")
    JobRun.objects.create(
        job=Job.BUILD_BULLETIN,
        as_of=D(2025, 2, 28),
        started_at=timezone.now(),
        finished_at=timezone.now(),
        outcome=JobOutcome.SUCCESS,
    )
    assert bulletins_due(D(2025, 3, 3)) == [Period(2025, 2)]


def test_job_run_is_recorded(org, scene):
    run, result = services.run_bulletin_job(Period(2025, 2), trigger="test")
    assert run.job == Job.BUILD_BULLETIN and run.as_of == D(2025, 2, 28)
    assert run.outcome == JobOutcome.SUCCESS
    assert run.counts == {"period": "2025-02", "outcome": "built", "listed": 5, "key_warnings": 1}
    assert result.bulletin.period == "2025-02"


def test_command_prints_one_line(org, scene):
    out = StringIO()
    call_command("build_bulletin", "--period", "2025-02", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1
    assert "2025-02" in lines[0] and "5" in lines[0]
    services.publish_bulletin(Bulletin.objects.get(), org.officer)
    out = StringIO()
    call_command("build_bulletin", "--period", "2025-02", stdout=out)
    assert "published, unchanged" in out.getvalue()


def test_command_defaults_to_last_month(org, scene):
    out = StringIO()
    with time_machine.travel(dt.datetime(2025, 3, 1, 1, 0, tzinfo=dt.UTC)):
        call_command("build_bulletin", stdout=out)
    assert Bulletin.objects.get().period == "2025-02"


def test_command_rejects_a_bad_period(org):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("build_bulletin", "--period", "2025-13", stdout=StringIO())


def test_task_builds_the_due_months(org, scene):
    services.build_bulletin(Period(2024, 12))
    # 1 March 2025 is a Saturday: the bulletin is built on Monday the 3rd.
    with time_machine.travel(dt.datetime(2025, 3, 3, 0, 5, tzinfo=dt.UTC)):
        outcomes = build_bulletin_task.run()
    assert outcomes == ["2025-01-31: success", "2025-02-28: success"]
    assert JobRun.objects.filter(job=Job.BUILD_BULLETIN, outcome=JobOutcome.SUCCESS).count() == 2
    assert build_bulletin_task.name == "reports.tasks.build_bulletin_task"


def test_publishing_notifies_each_division_head_once(org, scene):
    from alerts.models import Notification, NotificationKind

    services.publish_bulletin(services.build_bulletin(Period(2025, 2)).bulletin, org.officer)
    notes = Notification.objects.filter(kind=NotificationKind.BULLETIN)
    assert sorted(n.recipient.username for n in notes) == ["civil-head", "enf-head"]
    civil = notes.get(recipient=org.heads["civil"])
    assert "民一庭" in civil.subject and "4" in civil.subject


def test_publish_task(org, scene):
    from reports.tasks import publish_bulletin_task

    bulletin = services.build_bulletin(Period(2025, 2)).bulletin
    services.start_publishing(bulletin, org.officer)
    with time_machine.travel(dt.datetime(2025, 3, 2, 1, 0, tzinfo=dt.UTC)):
        assert publish_bulletin_task.run(bulletin.pk, org.officer.pk) == "2025年第1期"
    # Delivered again: the bulletin is published, nothing to do.
    assert publish_bulletin_task.run(bulletin.pk, org.officer.pk) == "not publishing: nothing to do"
    assert publish_bulletin_task.name == "reports.tasks.publish_bulletin_task"


def test_sign_off_queue_and_case_appearances(org, scene):
    from reports.selectors import bulletins_awaiting_sign_off, case_bulletin_appearances

    services.build_bulletin(Period(2025, 1))
    february = services.publish_bulletin(services.build_bulletin(Period(2025, 2)).bulletin, org.officer)
    head = org.heads["civil"]
    assert list(bulletins_awaiting_sign_off(head)) == [february]  # drafts wait for nobody
    services.sign_off_bulletin(february, org.civil, head)
    assert list(bulletins_awaiting_sign_off(head)) == []
    assert list(bulletins_awaiting_sign_off(org.heads["enf"])) == [february]
    assert list(bulletins_awaiting_sign_off(org.judges["civil-a"])) == []
    periods = [i.bulletin.period for i in case_bulletin_appearances(scene["c3"].pk)]
    assert periods == ["2025-02", "2025-01"]
