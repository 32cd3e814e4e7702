"""A small court where an N+1 would show: `build(rows)` gives every list and dashboard of the
pages `rows` lines (cases, alerts, plans in every state, notifications, urging notices, dispatch
items, bulletin items, divisions and handlers with figures, hidden-overrun flags), and one case
with `rows` events, links, alerts, plan versions, dispatch appearances, excluded periods and
extensions. The query-count tests build it with 2 and with 6 rows and expect the same counts."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from alerts import services as alert_services
from alerts.models import Alert, ClearancePlan, DispatchItem, DispatchList, Notification, UrgingNotice
from cases import services as case_services
from cases.models import Case, Court, Division, User
from limits import services as limits_services
from limits.models import Extension, HiddenOverrunFlag
from reports import services as report_services
from reports.models import Bulletin, BulletinStatus
from reports.periods import Period
from tests.factories import DivisionFactory, UserFactory

TODAY = dt.date(2025, 6, 10)
NOW = dt.datetime(2025, 6, 10, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
FILED = dt.date(2024, 9, 2)  # over 6 months on TODAY
_numbers = itertools.count(1000)


@dataclass
class World:
    court: Court
    division: Division
    handler: User
    clerk: User
    head: User
    tracker: User
    president: User
    vice_president: User
    admin: User
    integration: User
    focus: Case
    dispatch_list: DispatchList
    bulletin: Bulletin
    cases: list[Case] = field(default_factory=list)


def _register(clerk: User, division: Division, handler: User, filed_on: dt.date = FILED) -> Case:
    number = f"（{filed_on.year}）{division.court.code}民初{next(_numbers)}号"
    return case_services.register_case(
        clerk,
        court=division.court,
        case_number=number,
        filed_on=filed_on,
        division=division,
        handler=handler,
        clerk=clerk,
        cause="民间借贷纠纷",
        parties="张三诉李四",
        today=TODAY,
    )


def _alert(case: Case, *, acknowledged_by: User | None = None) -> Alert:
    return Alert.objects.create(
        case=case,
        level="over_6m",
        line_date=case.line_6m,
        raised_on=dt.date(2025, 3, 3),
        acknowledged_by=acknowledged_by,
        acknowledged_at=NOW if acknowledged_by else None,
    )


def _plan(handler: User, case: Case, *, submit: bool = True) -> ClearancePlan:
    return alert_services.file_plan(
        handler,
        case,
        reason="parties",
        expected_close_on=dt.date(2025, 9, 1),
        steps="调解",
        submit=submit,
        today=TODAY,
    )


def build(rows: int, *, court: Court, division: Division, handler: User, clerk: User, head: User) -> World:
    tracker = UserFactory(court=court, division=None, roles=["tracking_officer"])
    president = UserFactory(court=court, division=None, roles=["president"])
    vice_president = UserFactory(court=court, division=None, roles=["vice_president"])
    admin = UserFactory(court=court, division=None, roles=["admin"])
    integration = UserFactory(court=court, division=None, roles=["integration"])
    dl = DispatchList.objects.create(
        division=division,
        week_start=dt.date(2025, 6, 2),
        week_end=dt.date(2025, 6, 8),
        as_of=dt.date(2025, 6, 9),
        head=head,
        built_at=NOW,
    )
    made: list[Case] = []
    for i in range(rows):
        # One case in each plan state: waiting for review, returned, draft (so missing a plan),
        # approved and overdue.
        waiting, returned, draft, overdue = (_register(clerk, division, handler) for _ in range(4))
        for case in (waiting, returned, draft, overdue):
            alert = _alert(case, acknowledged_by=head if i % 2 else None)
            item = DispatchItem.objects.create(
                dispatch_list=dl,
                case=case,
                handler=handler,
                level="over_6m",
                missing_plan=case is draft,
                over_15m=False,
                filed_on=case.filed_on,
            )
            UrgingNotice.objects.create(item=item, handler=handler, sent_on=dt.date(2025, 6, 9))
            for person in (handler, head, tracker):
                Notification.objects.create(
                    recipient=person,
                    kind="alert_raised",
                    key=f"alert:{alert.pk}:raised",
                    subject=case.case_number,
                    link=f"/cases/{case.pk}/",
                    alert=alert,
                    case=case,
                    created_at=NOW,
                    created_on=TODAY,
                )
            HiddenOverrunFlag.objects.create(
                case=case,
                rule="many_suspensions",
                first_flagged_on=dt.date(2025, 6, 1),
                last_seen_on=TODAY,
                evidence={"suspensions": 3},
            )
        _plan(handler, waiting)
        alert_services.return_plan(head, _plan(handler, returned), comment="再细化", today=TODAY)
        _plan(handler, draft, submit=False)
        alert_services.approve_plan(head, _plan(handler, overdue), today=TODAY)
        ClearancePlan.objects.filter(case=overdue).update(expected_close_on=dt.date(2025, 6, 1))
        made += [waiting, returned, draft, overdue]
        # Another division with its own handler: a row of the court overview and of the division
        # page's handlers.
        other = DivisionFactory(court=court, code=f"extra-{i}", name=f"民{i + 5}庭")
        other.head = UserFactory(court=court, division=other, roles=["division_head"])
        other.save(update_fields=["head"])
        other_handler = UserFactory(court=court, division=other, roles=["handler"])
        made.append(_register(clerk, other, other_handler))
        colleague = UserFactory(court=court, division=division, roles=["handler"])
        made.append(_register(clerk, division, colleague))

    # The case page's case: `rows` of everything it shows.
    focus = _register(clerk, division, handler)
    for i, target in enumerate(made[:rows]):
        case_services.link_cases(clerk, focus, target, "related")
        case_services.link_cases(clerk, made[rows + i], focus, "related")
    for i in range(rows):
        # Past alerts, acknowledged by someone (the last one stays active).
        Alert.objects.create(
            case=focus,
            level="approaching_6m",
            line_date=focus.line_6m - dt.timedelta(days=i + 1),
            raised_on=dt.date(2025, 2, 1),
            resolved_on=dt.date(2025, 3, 1),
            resolution="level_changed",
            acknowledged_by=head,
            acknowledged_at=NOW,
        )
        plan = _plan(handler, focus)
        alert_services.return_plan(head, plan, comment="再细化", today=TODAY)
        DispatchItem.objects.create(
            dispatch_list=DispatchList.objects.create(
                division=division,
                week_start=dt.date(2025, 5, 5) - dt.timedelta(weeks=i),
                week_end=dt.date(2025, 5, 11) - dt.timedelta(weeks=i),
                as_of=dt.date(2025, 5, 12) - dt.timedelta(weeks=i),
                head=head,
                built_at=NOW,
            ),
            case=focus,
            handler=handler,
            level="over_6m",
            over_15m=False,
            filed_on=focus.filed_on,
        )
        limits_services.record_period(
            clerk,
            focus,
            reason_code="public_notice",
            start=dt.date(2025, 1, 1) + dt.timedelta(days=10 * i),
            end=dt.date(2025, 1, 5) + dt.timedelta(days=10 * i),
            reason="公告送达",
            today=TODAY,
        )
        case_services.change_case(clerk, focus, {"cause": f"民间借贷纠纷{i}"}, today=TODAY)
    _alert(focus)
    for i in range(rows):
        Extension.objects.create(
            case=focus,
            step=i + 1,
            length=1,
            reason="案情复杂",
            status="approved",
            requested_by=clerk,
            requested_on=dt.date(2025, 3, 1),
            decided_by=head,
            decided_on=dt.date(2025, 3, 2),
        )
    Extension.objects.create(
        case=focus, step=rows + 1, length=1, reason="案情复杂", requested_by=clerk, requested_on=TODAY
    )

    # Figures: a published bulletin of May and the day's snapshot.
    bulletin = report_services.build_bulletin(Period(2025, 5), court=court).bulletin
    Bulletin.objects.filter(pk=bulletin.pk).update(
        status=BulletinStatus.PUBLISHED,
        issue_year=2025,
        issue_number=5,
        published_at=NOW,
        pdf_sha256="0" * 64,
        published_by=tracker,
    )
    bulletin.refresh_from_db()
    report_services.snapshot_figures(TODAY, court=court)
    report_services.snapshot_figures(dt.date(2024, 12, 31), court=court)
    return World(
        court=court,
        division=division,
        handler=handler,
        clerk=clerk,
        head=head,
        tracker=tracker,
        president=president,
        vice_president=vice_president,
        admin=admin,
        integration=integration,
        focus=focus,
        dispatch_list=dl,
        bulletin=bulletin,
        cases=made,
    )


def get_pinned(client, assert_num_queries, user: User, url: str, queries: int, status: int = 200):
    """GET `url` as `user` and expect exactly `queries` queries (after one warming request: the
    per-process caches of content types and translations are not the page's)."""
    client.force_login(user)
    client.get(url)
    with assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == status, url
    return response
