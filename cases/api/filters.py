"""FilterSets of the case register. Date ranges include their bounds."""

from __future__ import annotations

import datetime as dt

import django_filters as filters
from django.db.models import Q

from cases import ageing, case_numbers
from cases.case_numbers import CASE_TYPE_CHOICES, Category
from cases.models import Case, CaseStatus, Court, Division, Procedure, User
from common.api import parse_as_of
from common.filters import StrictDateFilter, UpdatedSinceFilter

SEARCH_ID_LIMIT = 2000

ORDERINGS = {
    "filed_on": ["filed_on", "id"],
    "-filed_on": ["-filed_on", "-id"],
    # Age grows as the filing date recedes: ordering by age is ordering by filing date reversed.
    "age": ["-filed_on", "-id"],
    "-age": ["filed_on", "id"],
    # As year, court, type and sequence number: （2024）…民初9号 before （2024）…民初10号.
    "case_number": ["year", "court_code", "case_type", "seq", "id"],
    "-case_number": ["-year", "-court_code", "-case_type", "-seq", "-id"],
    "updated_at": ["updated_at", "id"],
    "-updated_at": ["-updated_at", "-id"],
}


def _filed_bound(level: str, as_of: dt.date, warning_days: int) -> Q:
    """An index hint implied by ageing.level_q: a case past (or near) its N-month line was filed on
    or before ageing.filed_cutoff(N, …). With it the planner walks the filing-date index from the
    cut-off backwards instead of from today (over_15m at 1M cases: 1.7 s → milliseconds)."""
    window = dt.timedelta(days=warning_days + 1)
    bounds = {
        ageing.Level.OVER_15M: (15, as_of),
        ageing.Level.APPROACHING_15M: (15, as_of + window),
        ageing.Level.OVER_6M: (6, as_of),
        ageing.Level.APPROACHING_6M: (6, as_of + window),
    }
    if level not in bounds:
        return Q()
    months, day = bounds[level]
    return Q(filed_on__lte=ageing.filed_cutoff(months, day))


class CaseFilter(filters.FilterSet):
    case_number = filters.CharFilter(
        method="filter_case_number", help_text="One case by its number, in either parenthesis form."
    )
    division = filters.CharFilter(
        field_name="division_id", method="filter_division", help_text="Division code, e.g. civil-1."
    )
    handler = filters.CharFilter(field_name="handler_id", method="filter_handler", help_text="Username of the handler.")
    status = filters.ChoiceFilter(choices=CaseStatus.choices, help_text="Current status: open, suspended or closed.")
    case_type = filters.ChoiceFilter(choices=CASE_TYPE_CHOICES, help_text="Case-type code, e.g. 民初.")
    category = filters.ChoiceFilter(choices=Category.CHOICES, help_text="Category of the case type.")
    procedure = filters.ChoiceFilter(choices=Procedure.choices, help_text="Procedure.")
    aging_level = filters.ChoiceFilter(
        choices=ageing.Level.CHOICES,
        method="filter_aging_level",
        help_text="Ageing level on as_of (default today), by the same rule as the aging_level field.",
    )
    filed_after = StrictDateFilter(
        field_name="filed_on", lookup_expr="gte", help_text="Filed on or after (YYYY-MM-DD)."
    )
    filed_before = StrictDateFilter(
        field_name="filed_on", lookup_expr="lte", help_text="Filed on or before (YYYY-MM-DD)."
    )
    closed_after = StrictDateFilter(
        field_name="closed_on", lookup_expr="gte", help_text="Closed on or after (YYYY-MM-DD)."
    )
    closed_before = StrictDateFilter(
        field_name="closed_on", lookup_expr="lte", help_text="Closed on or before (YYYY-MM-DD)."
    )
    business_environment = filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        help_text="true: business-environment cases only; false: the others.",
    )
    updated_since = UpdatedSinceFilter(
        field_name="updated_at",
        help_text="Changed at or after this date (YYYY-MM-DD, midnight Asia/Shanghai) or ISO 8601 date-time.",
    )
    search = filters.CharFilter(
        method="filter_search",
        help_text="Text in the case number (either parenthesis form), the cause of action or the parties.",
    )
    ordering = filters.ChoiceFilter(
        choices=[(key, key) for key in ORDERINGS],
        method="filter_ordering",
        help_text="Sort by filed_on, age (time since filing), case_number (year, court, type, sequence) or "
        "updated_at; prefix - for descending. Default: -filed_on.",
    )

    class Meta:
        model = Case
        fields: list[str] = []

    def filter_case_number(self, queryset, name, value):
        # With the court ids the unique (court, case_number) index finds the row directly.
        courts = list(Court.objects.values_list("id", flat=True))
        return queryset.filter(court_id__in=courts, case_number=case_numbers.normalise(value))

    # Division and handler are looked up first and filtered by id: with a literal id the planner
    # reads the (division_id, filed_on, id) index in order instead of joining and sorting.
    def filter_division(self, queryset, name, value):
        return queryset.filter(division_id__in=list(Division.objects.filter(code=value).values_list("id", flat=True)))

    def filter_handler(self, queryset, name, value):
        return queryset.filter(handler_id__in=list(User.objects.filter(username=value).values_list("id", flat=True)))

    def filter_search(self, queryset, name, value):
        # Case-sensitive LIKE: the pg_trgm GIN indexes serve "LIKE '%…%'" (Chinese has no case).
        text = value.strip()
        if not text:
            return queryset
        number = case_numbers.normalise(text)
        matches = Q(case_number__contains=number) | Q(cause__contains=text) | Q(parties__contains=text)
        # A rare term (a case-number fragment) matches a handful of rows, but the planner, ordering
        # by filing date with a LIMIT, may walk the whole filing-date index looking for them (1.5 s
        # at 1M cases). Fetch the matching ids first (bitmap scans of the trigram indexes); only a
        # common term, whose matches the index walk meets at once, is left to the planner.
        ids = list(queryset.filter(matches).order_by().values_list("id", flat=True)[: SEARCH_ID_LIMIT + 1])
        if len(ids) <= SEARCH_ID_LIMIT:
            return queryset.filter(id__in=ids)
        return queryset.filter(matches)

    def filter_aging_level(self, queryset, name, value):
        as_of = parse_as_of(self.request)
        courts = list(Court.objects.values_list("id", "warning_window_days"))
        q = Q()
        for court_id, warning_days in courts:
            q |= (
                Q(court_id=court_id)
                & ageing.level_q(value, as_of, warning_days)
                & _filed_bound(value, as_of, warning_days)
            )
        return queryset.filter(q) if courts else queryset.none()

    def filter_ordering(self, queryset, name, value):
        return queryset.order_by(*ORDERINGS[value])
