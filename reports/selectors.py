"""Reads of the reports app, shared by the pages, the API and the exports.

Dashboards read `FigureSnapshot` rows (a few dozen per day), never the case table: each
selector runs a fixed number of queries whatever the number of cases. Who sees what comes
from `cases.permissions`: a division head's overview is their divisions' sum.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields

from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Sum

from cases import ageing, permissions
from cases.models import Division, User
from limits import rule as limits

from .models import (
    BAND_FIELDS,
    Bulletin,
    BulletinFigure,
    BulletinItem,
    BulletinSignOff,
    BulletinStatus,
    FigureScope,
    FigureSnapshot,
    LimitRates,
)
from .periods import Period, trend_dates

# --- dashboard figures --------------------------------------------------------------------


@dataclass
class Figures(LimitRates):
    """Counts of one scope (court, division or handler) on one day, read from snapshots."""

    open_cases: int = 0
    over_6m: int = 0
    over_12m: int = 0
    over_15m: int = 0
    approaching_6m: int = 0
    approaching_15m: int = 0
    band_0_3: int = 0
    band_3_6: int = 0
    band_6_12: int = 0
    band_12_15: int = 0
    band_15_18: int = 0
    band_18_plus: int = 0
    received_day: int = 0
    closed_day: int = 0
    received_month: int = 0
    closed_month: int = 0
    open_age_days: int = 0
    closed_month_days: int = 0
    # Statutory time limits: month to date (closed_month_*) and on the day (overdue, hidden_flags).
    closed_month_limited: int = 0
    closed_month_on_time: int = 0
    closed_month_excluded_days: int = 0
    closed_month_extended: int = 0
    overdue: int = 0
    hidden_flags: int = 0

    @classmethod
    def from_row(cls, row: dict) -> Figures:
        return cls(**{f.name: row.get(f.name) or 0 for f in fields(cls)})

    def add(self, other: Figures) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def age_distribution(self) -> list[tuple[str, int]]:
        """(band label, open cases) in the order of cases.ageing.AGE_BANDS: 0-3 … 18+ months."""
        return [(label, getattr(self, BAND_FIELDS[label])) for label, _low, _high in ageing.AGE_BANDS]

    @property
    def clearance_ratio(self) -> float | None:
        """结收比 of the month so far: closed ÷ received."""
        return self.closed_month / self.received_month if self.received_month else None

    @property
    def average_age_days(self) -> float | None:
        return self.open_age_days / self.open_cases if self.open_cases else None

    @property
    def average_disposition_days(self) -> float | None:
        """Mean days from filing to closing of the cases closed this month."""
        return self.closed_month_days / self.closed_month if self.closed_month else None

    @property
    def share_over_6m(self) -> float | None:
        return self.over_6m / self.open_cases if self.open_cases else None

    @property
    def limit_rates(self) -> dict[str, float | None]:
        """On-time closure rate, average excluded days and extension rate of the month so far
        (cases closed with a time limit; None when none closed), by limits.rule.limit_rates."""
        return limits.limit_rates(
            self.closed_month_limited,
            self.closed_month_on_time,
            self.closed_month_excluded_days,
            self.closed_month_extended,
        )


_SUMS = {f.name: Sum(f.name) for f in fields(Figures)}


@dataclass
class TrendPoint:
    as_of: dt.date
    over_6m: int
    over_15m: int


@dataclass
class ScopeFigures:
    """Figures of one division (with `division`) or one handler (with `handler_id`, `handler_name`)."""

    figures: Figures
    division: Division | None = None
    handler_id: int | None = None
    handler_name: str = ""
    trend: list[TrendPoint] = field(default_factory=list)


@dataclass
class Overview:
    """The court overview (or a division's, with handlers as rows) on `as_of`."""

    as_of: dt.date
    total: Figures
    rows: list[ScopeFigures]
    trend: list[TrendPoint]
    # Progress to zero (清零): over-6-month cases now against the end of last year.
    baseline: TrendPoint | None

    @property
    def month_start(self) -> dt.date:
        """First day of the month-to-date figures (clearance ratio, time limits)."""
        return self.as_of.replace(day=1)

    @property
    def progress_to_zero(self) -> float | None:
        """Share of last year-end's over-6-month cases cleared since (1.0 is zero reached)."""
        if self.baseline is None or not self.baseline.over_6m:
            return None
        return 1 - self.total.over_6m / self.baseline.over_6m


def latest_snapshot_date(on_or_before: dt.date | None = None) -> dt.date | None:
    qs = FigureSnapshot.objects.all()
    if on_or_before is not None:
        qs = qs.filter(as_of__lte=on_or_before)
    return qs.aggregate(latest=Max("as_of"))["latest"]


def _visible_snapshots(user: User, division_ids: Iterable[int] | None = None) -> QuerySet[FigureSnapshot]:
    visible = permissions.visible_divisions(user).values("pk")
    qs = FigureSnapshot.objects.filter(division__in=visible)
    if division_ids is not None:
        qs = qs.filter(division_id__in=list(division_ids))
    return qs


def _trend(qs: QuerySet[FigureSnapshot], as_of: dt.date, months: int, group: str | None):
    """Over-6 and over-15 counts on the trend's month ends, per `group` value (or in total)."""
    dates = trend_dates(as_of, months)
    keys = ["as_of"] + ([group] if group else [])
    rows = qs.filter(as_of__in=dates).values(*keys).annotate(o6=Sum("over_6m"), o15=Sum("over_15m")).order_by()
    points: dict[object, list[TrendPoint]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: r["as_of"]):
        points[row[group] if group else None].append(TrendPoint(row["as_of"], row["o6"], row["o15"]))
    return points


def _baseline(qs: QuerySet[FigureSnapshot], as_of: dt.date) -> TrendPoint | None:
    year_end = dt.date(as_of.year - 1, 12, 31)
    row = qs.filter(as_of=year_end).aggregate(o6=Sum("over_6m"), o15=Sum("over_15m"))
    if row["o6"] is None:
        return None
    return TrendPoint(year_end, row["o6"], row["o15"])


def court_overview(user: User, as_of: dt.date | None = None, *, months: int = 12) -> Overview | None:
    """Per-division figures on `as_of` (default: the latest snapshot), their 12-month trends,
    the court total with its age distribution, clearance ratio, average age and time to
    disposition, and progress to zero. None when no snapshot exists yet. Four queries."""
    as_of = as_of or latest_snapshot_date()
    if as_of is None:
        return None
    qs = _visible_snapshots(user)
    by_division = qs.filter(as_of=as_of).values("division_id").annotate(**_SUMS).order_by()
    figures = {row["division_id"]: Figures.from_row(row) for row in by_division}
    trends = _trend(qs, as_of, months, "division_id")
    divisions = Division.objects.filter(pk__in=set(figures) | set(trends)).order_by("sort_order", "code")
    rows, total = [], Figures()
    for division in divisions:
        f = figures.get(division.pk, Figures())
        total.add(f)
        rows.append(ScopeFigures(figures=f, division=division, trend=trends.get(division.pk, [])))
    court_trend: dict[dt.date, TrendPoint] = {}
    for points in trends.values():
        for p in points:
            t = court_trend.setdefault(p.as_of, TrendPoint(p.as_of, 0, 0))
            t.over_6m += p.over_6m
            t.over_15m += p.over_15m
    return Overview(
        as_of=as_of,
        total=total,
        rows=rows,
        trend=[court_trend[d] for d in sorted(court_trend)],
        baseline=_baseline(qs, as_of),
    )


def division_overview(
    user: User, division: Division, as_of: dt.date | None = None, *, months: int = 12
) -> Overview | None:
    """Drill-down: one division's figures per handler on `as_of`, with each handler's trend.
    None when the user may not see the division or no snapshot exists."""
    if not permissions.visible_divisions(user).filter(pk=division.pk).exists():
        return None
    as_of = as_of or latest_snapshot_date()
    if as_of is None:
        return None
    qs = _visible_snapshots(user, [division.pk])
    by_handler = qs.filter(as_of=as_of).values("handler_id").annotate(**_SUMS).order_by()
    figures = {row["handler_id"]: Figures.from_row(row) for row in by_handler}
    trends = _trend(qs, as_of, months, "handler_id")
    names = {u.pk: str(u) for u in User.objects.filter(pk__in={h for h in set(figures) | set(trends) if h})}
    rows, total = [], Figures()
    for handler_id in sorted(set(figures) | set(trends), key=lambda h: (h is None, names.get(h, ""))):
        f = figures.get(handler_id, Figures())
        total.add(f)
        rows.append(
            ScopeFigures(
                figures=f,
                division=division,
                handler_id=handler_id,
                handler_name=names.get(handler_id, ""),
                trend=trends.get(handler_id, []),
            )
        )
    division_trend = _trend(qs, as_of, months, None).get(None, [])
    return Overview(as_of=as_of, total=total, rows=rows, trend=division_trend, baseline=_baseline(qs, as_of))


# --- bulletins ----------------------------------------------------------------------------


def visible_bulletins(user: User) -> QuerySet[Bulletin]:
    """Published bulletins for all staff; drafts too for the trial management office and leadership."""
    if not user.is_authenticated or not user.is_active:
        return Bulletin.objects.none()
    qs = Bulletin.objects.select_related("court", "published_by")
    if permissions.can_view_draft_bulletins(user):
        return qs
    return qs.filter(status=BulletinStatus.PUBLISHED)


def bulletin_for_period(period: Period | str, court_id: int | None = None) -> Bulletin | None:
    qs = Bulletin.objects.filter(period=period)
    if court_id is not None:
        qs = qs.filter(court_id=court_id)
    return qs.first()


@dataclass
class BulletinDocument:
    """Everything the bulletin page and the PDF show except the item list (streamed apart)."""

    bulletin: Bulletin
    court: BulletinFigure | None
    divisions: list[BulletinFigure]
    handlers: dict[int, list[BulletinFigure]]  # division id → handler rows
    sign_offs: dict[int, BulletinSignOff]  # division id → sign-off

    @property
    def divisions_at_zero(self) -> list[BulletinFigure]:
        """Divisions with no case over 6 months (清零)."""
        return [d for d in self.divisions if d.listed == 0]

    @property
    def handler_rows(self) -> list[BulletinFigure]:
        """Handler rows, division by division in the order of `divisions`."""
        return [h for d in self.divisions for h in self.handlers.get(d.division_id, [])]

    @property
    def awaiting_sign_off(self) -> list[BulletinFigure]:
        return [d for d in self.divisions if d.division_id not in self.sign_offs]


def bulletin_document(bulletin: Bulletin) -> BulletinDocument:
    """The bulletin's frozen figures, by court, division and handler, and its sign-offs. Two queries."""
    rows = list(bulletin.figures.order_by("scope", "division_name", "handler_name", "pk"))
    court = next((r for r in rows if r.scope == FigureScope.COURT), None)
    divisions = sorted((r for r in rows if r.scope == FigureScope.DIVISION), key=lambda r: (-r.listed, r.division_name))
    handlers: dict[int, list[BulletinFigure]] = defaultdict(list)
    for r in rows:
        if r.scope == FigureScope.HANDLER:
            handlers[r.division_id].append(r)
    for hs in handlers.values():
        hs.sort(key=lambda r: (-r.listed, r.handler_name))
    sign_offs = {s.division_id: s for s in bulletin.sign_offs.select_related("signed_by")}
    return BulletinDocument(bulletin, court, divisions, dict(handlers), sign_offs)


def bulletin_items(
    bulletin: Bulletin, *, division_id: int | None = None, key_warnings_only: bool = False
) -> QuerySet[BulletinItem]:
    """The frozen list, by division, handler and age (oldest first). Stream it with .iterator()."""
    qs = bulletin.items.all()
    if division_id is not None:
        qs = qs.filter(division_id=division_id)
    if key_warnings_only:
        qs = qs.filter(key_warning=True)
    return qs.order_by("division_name", "handler_name", "filed_on", "case_number")


def cleared_items(bulletin: Bulletin) -> QuerySet[BulletinItem]:
    """Items of the previous bulletin that this one no longer lists (closed or back under the line)."""
    if bulletin.previous_id is None:
        return BulletinItem.objects.none()
    still = BulletinItem.objects.filter(bulletin=bulletin, case=OuterRef("case"))
    return (
        BulletinItem.objects.filter(bulletin_id=bulletin.previous_id)
        .exclude(Exists(still))
        .order_by("division_name", "handler_name", "filed_on", "case_number")
    )


def case_bulletin_appearances(case_id: int) -> QuerySet[BulletinItem]:
    """The bulletins a case was listed in, newest first (for the case page's timeline)."""
    return BulletinItem.objects.filter(case_id=case_id).select_related("bulletin").order_by("-bulletin__period")


def bulletins_awaiting_sign_off(user: User) -> QuerySet[Bulletin]:
    """Published bulletins listing a division the user signs off for today (its head, or its
    acting head during the acting period) that it has not signed off yet."""
    headed = permissions.effectively_headed_division_ids(user)
    if not headed:
        return Bulletin.objects.none()
    in_bulletin = BulletinFigure.objects.filter(
        bulletin=OuterRef("pk"), scope=FigureScope.DIVISION, division_id__in=headed
    ).exclude(Exists(BulletinSignOff.objects.filter(bulletin=OuterRef("bulletin"), division=OuterRef("division"))))
    return Bulletin.objects.filter(Q(status=BulletinStatus.PUBLISHED), Exists(in_bulletin)).order_by("-period")
