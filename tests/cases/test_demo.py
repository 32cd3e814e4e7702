import datetime as dt

import pytest
from django.core.management import call_command

from cases import ageing, case_numbers, demo
from cases.models import Case, CaseEvent, Division, User
from cases.roles import Role

TODAY = dt.date(2026, 11, 27)


def _fingerprint():
    return list(
        Case.objects.order_by("case_number").values_list(
            "case_number", "filed_on", "closed_on", "status", "procedure", "division__code", "handler__username"
        )
    )


@pytest.mark.django_db
def test_seed_is_deterministic_and_realistic():
    demo.seed(1200, seed_value=7, today=TODAY)
    first = _fingerprint()
    demo.reset()
    demo.seed(1200, seed_value=7, today=TODAY)
    assert _fingerprint() == first
    demo.reset()
    demo.seed(1200, seed_value=8, today=TODAY)
    assert _fingerprint() != first

    assert Case.objects.count() == 1200
    assert 30 <= User.objects.count() <= 60
    for role in Role.ALL:
        assert User.objects.filter(groups__name=role).exists(), role
    assert set(Division.objects.values_list("name", flat=True)) >= {
        "立案庭",
        "民一庭",
        "民二庭",
        "刑事审判庭",
        "行政审判庭",
        "执行局",
    }
    assert Division.objects.filter(kind="tribunal").count() in (2, 3)
    # Every number parses, and sequences run 1..n per year and type.
    for number, year, type_code, seq in Case.objects.values_list("case_number", "year", "case_type", "seq"):
        parsed = case_numbers.parse(number)
        assert (parsed.year, parsed.type_code, parsed.seq) == (year, type_code, seq)
    for year, type_code in Case.objects.values_list("year", "case_type").distinct():
        seqs = sorted(Case.objects.filter(year=year, case_type=type_code).values_list("seq", flat=True))
        assert seqs == list(range(1, len(seqs) + 1))
    # A long tail: open cases past both lines, some suspended; lines stored by the one rule.
    assert Case.objects.filter(ageing.over_line_q(15, TODAY)).exists()
    assert Case.objects.filter(ageing.level_q("over_6m", TODAY)).exists()
    assert Case.objects.filter(status="suspended").exists()
    assert Case.objects.filter(status="closed").count() > 800
    sample = Case.objects.order_by("?")[:50]
    for case in sample:
        assert case.line_6m == ageing.line_date(case.filed_on, 6)
        assert case.filed_on >= TODAY.replace(year=TODAY.year - 3)
    assert CaseEvent.objects.filter(kind="registered").count() == 1200
    assert CaseEvent.objects.filter(kind="closed").count() == Case.objects.filter(status="closed").count()


@pytest.mark.django_db
def test_seed_command_prints_a_login_for_each_role(capsys):
    call_command("seed_demo", "--cases", "200", "--today", "2026-11-27")
    out = capsys.readouterr().out
    assert "200 cases" in out
    for role in Role.ALL:
        assert role in out
    call_command("seed_demo", "--cases", "200", "--if-empty")
    assert "nothing to do" in capsys.readouterr().out
    assert Case.objects.count() == 200
