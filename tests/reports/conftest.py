"""A small court for the reports tests: two divisions, each with a head and two handlers, a
tracking officer, and a helper to file cases (open, suspended or closed) on given dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from cases.models import Court, Division, User
from tests.factories import CaseFactory, DivisionFactory, UserFactory


@dataclass
class Court2:
    court: Court
    civil: Division
    enforcement: Division
    officer: User
    president: User
    heads: dict[str, User] = field(default_factory=dict)
    judges: dict[str, User] = field(default_factory=dict)

    def case(self, filed_on: dt.date, *, judge: str = "civil-a", closed_on: dt.date | None = None, **kwargs):
        handler = self.judges[judge]
        kwargs.setdefault("division", handler.division)
        if closed_on is not None:
            kwargs.update(status="closed", closed_on=closed_on, closure_method="judgment")
        kwargs.setdefault("handler", handler)
        return CaseFactory(court=self.court, filed_on=filed_on, **kwargs)


@pytest.fixture
def org(court) -> Court2:
    civil = DivisionFactory(court=court, code="civil-1", name="民一庭", sort_order=1)
    enforcement = DivisionFactory(court=court, code="enforcement", name="执行局", sort_order=2)
    org = Court2(
        court=court,
        civil=civil,
        enforcement=enforcement,
        officer=UserFactory(
            username="officer", name="审管专人", court=court, division=None, roles=["tracking_officer"]
        ),
        president=UserFactory(username="president", name="院长", court=court, division=None, roles=["president"]),
    )
    for division, short in ((civil, "civil"), (enforcement, "enf")):
        head = UserFactory(
            username=f"{short}-head",
            name=f"{division.name}庭长",
            court=court,
            division=division,
            roles=["division_head", "handler"],
        )
        division.head = head
        division.save()
        org.heads[short] = head
        for n in ("a", "b"):
            org.judges[f"{short}-{n}"] = UserFactory(
                username=f"{short}-{n}",
                name=f"{division.name}法官{n}",
                court=court,
                division=division,
                roles=["handler"],
            )
    return org


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
