"""A hand-computed docket for the time-limit figures of September 2024 (shared by the reports,
API and page tests). Every case goes through the services, so its clock is the real one.

Civil-1 (民一庭), handler judge-a — all 民初 (6 months), filed 15 Mar 2024, deadline 18 Sep 2024
(15–17 Sep is the Mid-Autumn holiday):
  on_time   closed 18 Sep                                   → on time
  late      closed 19 Sep                                   → after the deadline
  extended  +6 months approved, 10 days of appraisal, closed 25 Sep → on time, extended, 10 days
  august    closed 20 Aug                                   → outside September
Civil-2 (民二庭), handler judge-b:
  overdue   filed 10 Jan 2024, open: deadline 10 Jul 2024   → over the time limit on 30 Sep
  flagged   filed 3 Jun 2024, open, an undocumented period  → a hidden-overrun flag from 30 Sep

September 2024 by hand: court 3 closed with a limit, 2 on time (66.7%), 10 excluded days
(average 3.3), 1 extended (33.3%), 1 overdue, 1 hidden flag; civil-1 has the closings,
civil-2 the overrun and the flag.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cases import services
from cases.models import Case, Court, Division, User
from limits import services as limits_services
from tests.factories import DivisionFactory, UserFactory

D = dt.date
START, END = D(2024, 9, 1), D(2024, 9, 30)
TODAY = D(2026, 11, 27)

EXPECTED = {
    "court": {"closed": 3, "closed_on_time": 2, "excluded_days": 10, "extended": 1, "overdue": 1, "hidden_flags": 1},
    "civil-1": {"closed": 3, "closed_on_time": 2, "excluded_days": 10, "extended": 1, "overdue": 0, "hidden_flags": 0},
    "civil-2": {"closed": 0, "closed_on_time": 0, "excluded_days": 0, "extended": 0, "overdue": 1, "hidden_flags": 1},
}


@dataclass
class LimitDocket:
    civil: Division
    other: Division
    judge_a: User
    judge_b: User
    cases: dict[str, Case]


def _division(court: Court, code: str, name: str) -> Division:
    return Division.objects.filter(court=court, code=code).first() or DivisionFactory(court=court, code=code, name=name)


def _user(username: str, **kwargs) -> User:
    return User.objects.filter(username=username).first() or UserFactory(username=username, **kwargs)


def build_limit_docket(court: Court) -> LimitDocket:
    civil = _division(court, "civil-1", "民一庭")
    other = _division(court, "civil-2", "民二庭")
    judge_a = _user("judge-a", name="法官甲", court=court, division=civil, roles=["handler"])
    judge_b = _user("judge-b", name="法官乙", court=court, division=other, roles=["handler"])
    president = _user("limit-president", court=court, division=None, roles=["president"])
    numbers = iter(range(1, 100))

    def register(filed_on: dt.date, division: Division, handler: User) -> Case:
        number = f"（{filed_on.year}）{court.code}民初{9000 + next(numbers)}号"
        return services.register_case(
            None, case_number=number, filed_on=filed_on, division=division, handler=handler, today=TODAY
        )

    def close(case: Case, on: dt.date) -> Case:
        services.close_case(None, case, closed_on=on, closure_method="judgment")
        case.refresh_from_db()
        return case

    made = {}
    made["on_time"] = close(register(D(2024, 3, 15), civil, judge_a), D(2024, 9, 18))
    made["late"] = close(register(D(2024, 3, 15), civil, judge_a), D(2024, 9, 19))
    extended = register(D(2024, 3, 15), civil, judge_a)
    request = limits_services.request_extension(None, extended, length=6, reason="复杂", requested_on=D(2024, 8, 1))
    limits_services.decide_extension(president, request, approve=True, decided_on=D(2024, 8, 2))
    limits_services.record_period(
        None,
        extended,
        reason_code="appraisal",
        start=D(2024, 4, 1),
        end=D(2024, 4, 10),
        reason="鉴定",
        document_ref="鉴字1",
    )
    extended.refresh_from_db()
    made["extended"] = close(extended, D(2024, 9, 25))
    made["august"] = close(register(D(2024, 3, 1), civil, judge_a), D(2024, 8, 20))
    made["overdue"] = register(D(2024, 1, 10), other, judge_b)
    flagged = register(D(2024, 6, 3), other, judge_b)
    limits_services.record_period(
        None, flagged, reason_code="public_notice", start=D(2024, 7, 1), end=D(2024, 7, 10), reason="", document_ref=""
    )
    flagged.refresh_from_db()
    made["flagged"] = flagged
    limits_services.check_hidden_overruns(END)
    return LimitDocket(civil=civil, other=other, judge_a=judge_a, judge_b=judge_b, cases=made)
