"""Pages of rows for the HTML lists: no COUNT(*) over a million rows, one row more than shown."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

PAGE_SIZE = 50


@dataclass
class Page:
    """A page of rows without COUNT(*): counting a million rows on every view is too slow,
    so we fetch one row more than we show to know whether a next page exists."""

    number: int
    rows: list
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * PAGE_SIZE + len(self.rows)


def paginate(request: HttpRequest, qs, size: int = PAGE_SIZE) -> Page:
    try:
        number = max(1, min(int(request.GET.get("page", 1)), 2000))
    except ValueError:
        number = 1
    offset = (number - 1) * size
    rows = list(qs[offset : offset + size + 1])
    return Page(number=number, rows=rows[:size], has_next=len(rows) > size)


def query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
