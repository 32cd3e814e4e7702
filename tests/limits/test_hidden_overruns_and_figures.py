"""Hidden-overrun rules (each with a case that trips it and one that does not), the daily
check's idempotency, and the figures selectors."""

import datetime as dt

import pytest
from django.test import override_settings

from cases import services
from limits import selectors as limit_selectors
from limits import services as limits_services
from limits.models import ExcludedPeriod, HiddenOverrunFlag
from tests.factories import DivisionFactory, UserFactory

D = dt.date
pytestmark = pytest.mark.django_db


def period(case, code, start, end=None, reason="理由", doc="文书"):
    return ExcludedPeriod.objects.create(
        case=case, reason_code=code, start=start, end=end, reason=reason, document_ref=doc
    )


def flagged(as_of, rule):
    return set(limits_services.hidden_overrun_candidates(as_of)[rule])


def recompute(*cases):
    for case in cases:
        limits_services.recompute_clock(case, today=D(2026, 11, 27))


def test_filled_by_exclusions(register):
    kept_alive = register("民初", D(2024, 1, 10))
    period(kept_alive, "appraisal", D(2024, 2, 1), D(2024, 6, 30))  # 151 days
    plain_overrun = register("民初", D(2024, 1, 10))  # overdue openly: not hidden
    small = register("民初", D(2024, 1, 10))
    period(small, "appraisal", D(2024, 2, 1), D(2024, 2, 29))
    recompute(kept_alive, plain_overrun, small)
    # Nominal limit 10 Jul 2024; + 90 days margin = 8 Oct.
    assert flagged(D(2024, 10, 15), "filled_by_exclusions") == {kept_alive.pk}
    assert flagged(D(2024, 10, 1), "filled_by_exclusions") == set()
    with override_settings(LIMIT_HIDDEN_MARGIN_DAYS=120):
        assert flagged(D(2024, 10, 15), "filled_by_exclusions") == set()


def test_many_or_overlapping_suspensions(register):
    three = register("民初", D(2024, 1, 10))
    for start in (D(2024, 2, 1), D(2024, 3, 1), D(2024, 4, 1)):
        period(three, "suspension", start, start + dt.timedelta(days=5))
    two = register("民初", D(2024, 1, 10))
    for start in (D(2024, 2, 1), D(2024, 3, 1)):
        period(two, "suspension", start, start + dt.timedelta(days=5))
    overlapping = register("民初", D(2024, 1, 10))
    period(overlapping, "suspension", D(2024, 2, 1), D(2024, 2, 20))
    period(overlapping, "appraisal", D(2024, 2, 10), D(2024, 3, 20))
    found = limits_services.hidden_overrun_candidates(D(2024, 5, 1))["many_suspensions"]
    assert set(found) == {three.pk, overlapping.pk}
    assert found[three.pk]["suspensions"] == 3
    assert found[overlapping.pk]["overlapping_suspension_starts"] == ["2024-02-01"]


def test_undocumented_periods(register):
    no_text = register("民初", D(2024, 1, 10))
    period(no_text, "public_notice", D(2024, 2, 1), D(2024, 4, 1), reason="")
    no_doc = register("民初", D(2024, 1, 10))
    period(no_doc, "public_notice", D(2024, 2, 1), D(2024, 4, 1), doc="")
    documented = register("民初", D(2024, 1, 10))
    period(documented, "public_notice", D(2024, 2, 1), D(2024, 4, 1))
    assert flagged(D(2024, 5, 1), "undocumented") == {no_text.pk, no_doc.pk}


def test_stale_suspensions(register, clerk):
    stale = register("民初", D(2024, 1, 10))
    services.suspend_case(clerk, stale, on=D(2024, 1, 20))
    reviewed = register("民初", D(2024, 1, 10))
    services.suspend_case(clerk, reviewed, on=D(2024, 1, 20))
    limits_services.review_period(clerk, ExcludedPeriod.objects.get(case=reviewed), on=D(2024, 3, 1))
    recent = register("民初", D(2024, 1, 10))
    services.suspend_case(clerk, recent, on=D(2024, 3, 1))
    found = limits_services.hidden_overrun_candidates(D(2024, 5, 1))["stale_suspension"]
    assert set(found) == {stale.pk}
    assert found[stale.pk]["suspended_since"] == "2024-01-20"


def test_daily_check_raises_once_refreshes_and_clears(register, clerk):
    case = register("民初", D(2024, 1, 10))
    bare = period(case, "auction", D(2024, 2, 1), D(2024, 3, 1), reason="")
    recompute(case)
    assert limits_services.check_hidden_overruns(D(2024, 5, 1)) == {"raised": 1, "cleared": 0}
    assert limits_services.check_hidden_overruns(D(2024, 5, 1)) == {"raised": 0, "cleared": 0}
    assert limits_services.check_hidden_overruns(D(2024, 5, 2)) == {"raised": 0, "cleared": 0}
    flag = HiddenOverrunFlag.objects.get()
    assert (flag.rule, flag.first_flagged_on, flag.last_seen_on) == ("undocumented", D(2024, 5, 1), D(2024, 5, 2))
    limits_services.change_period(clerk, bare, {"reason": "拍卖公告"})
    assert limits_services.check_hidden_overruns(D(2024, 5, 3)) == {"raised": 0, "cleared": 1}
    flag.refresh_from_db()
    assert flag.cleared_on == D(2024, 5, 3)
    assert list(limit_selectors.hidden_overrun_flags()) == []


def test_flags_list_and_counts_per_division(register):
    case = register("民初", D(2024, 1, 10))
    period(case, "auction", D(2024, 2, 1), D(2024, 3, 1), doc="")
    limits_services.check_hidden_overruns(D(2024, 5, 1))
    assert [f.case_id for f in limit_selectors.hidden_overrun_flags(division=case.division)] == [case.pk]
    [row] = limit_selectors.hidden_overrun_counts_by_division()
    assert (row["case__division_id"], row["cases"], row["flags"]) == (case.division_id, 1, 1)


def test_limit_figures(register, clerk, president, court):
    other_division = DivisionFactory(court=court, code="civil-2", name="民二庭")
    other_handler = UserFactory(court=court, division=other_division, roles=["handler"])
    on_time = register("民初", D(2024, 3, 15))  # deadline 18 Sep 2024
    services.close_case(clerk, on_time, closed_on=D(2024, 9, 18), closure_method="judgment")
    late = register("民初", D(2024, 3, 15))
    services.close_case(clerk, late, closed_on=D(2024, 9, 19), closure_method="judgment")
    extended = register("民初", D(2024, 3, 15))
    request = limits_services.request_extension(clerk, extended, length=6, reason="x", requested_on=D(2024, 8, 1))
    limits_services.decide_extension(president, request, approve=True, decided_on=D(2024, 8, 2))
    limits_services.record_period(
        clerk, extended, reason_code="appraisal", start=D(2024, 4, 1), end=D(2024, 4, 10), reason="x", document_ref="y"
    )
    extended.refresh_from_db()
    services.close_case(clerk, extended, closed_on=D(2024, 10, 8), closure_method="mediation")
    overdue = register("民初", D(2024, 3, 15))
    services.transfer_case(clerk, overdue, division=other_division, handler=other_handler)

    [court_wide] = limit_selectors.limit_figures(D(2024, 9, 1), D(2024, 12, 31))
    assert court_wide["closed"] == 3 and court_wide["closed_on_time"] == 2
    assert court_wide["on_time_rate"] == pytest.approx(2 / 3)
    assert court_wide["extended"] == 1 and court_wide["extension_rate"] == pytest.approx(1 / 3)
    assert court_wide["average_excluded_days"] == pytest.approx(10 / 3)
    assert court_wide["overdue"] == 1

    rows = {r["name"]: r for r in limit_selectors.limit_figures(D(2024, 9, 1), D(2024, 12, 31), group_by="division")}
    assert rows["民一庭"]["closed"] == 3 and rows["民一庭"]["overdue"] == 0
    assert rows["民二庭"]["closed"] == 0 and rows["民二庭"]["overdue"] == 1 and rows["民二庭"]["on_time_rate"] is None
    by_handler = limit_selectors.limit_figures(D(2024, 9, 1), D(2024, 12, 31), group_by="handler")
    assert sum(r["closed"] for r in by_handler) == 3
