"""The one upsert: bulk API, file import (CSV/XLSX) and the import_cases command."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from cases import imports
from cases.models import Case, CaseEvent

pytestmark = pytest.mark.django_db


def row(seq: int, **overrides):
    data = {
        "case_number": f"(2026)黔0281民初{seq}号",
        "division": "civil-1",
        "handler": "judge1",
        "cause": "民间借贷纠纷",
        "parties": "张三诉李四",
        "filed_on": "2026-03-15",
    }
    data.update(overrides)
    return data


def test_bulk_partial_failure_saves_the_valid_rows(api, today):
    batch = [
        row(1),
        row(2, filed_on="2099-01-01"),  # future
        row(3, division="nowhere"),
        row(4, status="closed", closed_on="2026-06-01", closure_method="judgment"),
        "not an object",
        row(5, case_number="黔0281民初5号"),  # unparseable
        row(1, cause="重复"),  # the same case twice in one batch
    ]
    response = api("integration").post("/api/v1/cases/bulk/", batch, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    results = data["results"]
    assert [r["result"] for r in results] == ["created", "error", "error", "created", "error", "error", "error"]
    assert (data["created"], data["updated"], data["unchanged"], data["errors"]) == (2, 0, 0, 5)
    assert "filed_on" in results[1]["errors"] and "division" in results[2]["errors"]
    assert "case_number" in results[5]["errors"] and "case_number" in results[6]["errors"]
    assert results[0]["case_number"] == "（2026）黔0281民初1号" and results[0]["id"]
    assert set(Case.objects.values_list("case_number", flat=True)) == {"（2026）黔0281民初1号", "（2026）黔0281民初4号"}
    closed = Case.objects.get(case_number="（2026）黔0281民初4号")
    assert list(closed.events.values_list("kind", flat=True)) == ["registered", "closed"]


def test_bulk_is_idempotent_and_updates_record_events(api, today):
    batch = [row(i) for i in range(1, 21)] + [row(99, external_id="EXT-99")]
    client = api("integration")
    first = client.post("/api/v1/cases/bulk/", batch, format="json").json()
    assert first["created"] == 21
    events = CaseEvent.objects.count()
    second = client.post("/api/v1/cases/bulk/", batch, format="json").json()
    assert {r["result"] for r in second["results"]} == {"unchanged"}
    assert CaseEvent.objects.count() == events
    # A change: one updated row with its events, the rest unchanged.
    batch[0] = row(1, handler="head1", cause="借款合同纠纷")
    third = client.post("/api/v1/cases/bulk/", batch, format="json").json()
    assert (third["updated"], third["unchanged"]) == (1, 20)
    case = Case.objects.get(case_number="（2026）黔0281民初1号")
    assert case.handler.username == "head1"
    assert set(case.events.values_list("kind", flat=True)) == {"registered", "transferred", "updated"}


def test_bulk_matches_by_external_id_first(api, make_case, today):
    existing = make_case(filed_on=dt.date(2026, 2, 1), seq=7, year=2026)
    client = api("integration")
    # No external id yet: the number matches and the external id is attached.
    result = client.post("/api/v1/cases/bulk/", [row(7, external_id="SYS-7", filed_on="2026-02-01")], format="json")
    assert result.json()["results"][0]["result"] == "updated"
    existing.refresh_from_db()
    assert existing.external_id == "SYS-7"
    # Now the external id decides: a corrected case number updates the same case.
    result = client.post("/api/v1/cases/bulk/", [row(8, external_id="SYS-7", filed_on="2026-02-01")], format="json")
    assert result.json()["results"][0]["result"] == "updated"
    existing.refresh_from_db()
    assert existing.case_number == "（2026）黔0281民初8号"
    assert "number_corrected" in set(existing.events.values_list("kind", flat=True))


def test_bulk_over_1000_rows_is_refused_whole(api, today):
    batch = [row(i) for i in range(1, 1002)]
    response = api("integration").post("/api/v1/cases/bulk/", batch, format="json")
    assert response.status_code == 400
    assert "1,000" in response.json()["non_field_errors"][0]
    assert not Case.objects.exists()


def test_bulk_needs_an_array(api, today):
    response = api("integration").post("/api/v1/cases/bulk/", {"case_number": "x"}, format="json")
    assert response.status_code == 400


def test_bulk_query_count_does_not_grow_with_new_rows(api, today):
    client = api("integration")

    def queries(rows):
        with CaptureQueriesContext(connection) as ctx:
            assert client.post("/api/v1/cases/bulk/", rows, format="json").status_code == 200
        return len(ctx.captured_queries)

    assert queries([row(i) for i in range(1, 6)]) == queries([row(i) for i in range(100, 300)])


def test_clerk_bulk_cannot_change_other_divisions_cases(api, make_case, org, today):
    other = make_case(division=org["other"], handler=org["other_handler"], filed_on=dt.date(2026, 1, 1), seq=5)
    result = api("clerk").post("/api/v1/cases/bulk/", [row(5, cause="改", filed_on="2026-01-01")], format="json")
    assert result.json()["results"][0]["result"] == "error"
    other.refresh_from_db()
    assert other.cause == "民间借贷纠纷"


# --- files ---------------------------------------------------------------------------------

CHINESE_HEADER = ["案号", "立案日期", "承办部门", "承办人", "案由", "当事人", "状态", "结案日期", "结案方式"]
CHINESE_HEADER.append("涉营商环境")


def xlsx_bytes(rows) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(CHINESE_HEADER)
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out


def test_xlsx_with_chinese_headers_preview_then_commit(org, today):
    data = xlsx_bytes(
        [
            ["(2026)黔0281民初1号", dt.datetime(2026, 3, 1), "民一庭", "judge1", "离婚纠纷", "王诉赵", "未结"]
            + [None, None, "否"],
            ["（2026）黔0281民初2号", "2026/3/2", "civil-1", "judge1", "买卖合同纠纷", "甲诉乙", "已结"]
            + ["2026年5月1日", "调解", "是"],
            ["（2026）黔0281民初3号", "not a date", "civil-1", "judge1", "", "", "", "", "", ""],
        ]
    )
    rows = imports.read_file(data, "cases.xlsx")
    preview = imports.upsert_cases(org["clerk"], rows, source=imports.Source.FILE, dry_run=True)
    assert [r.result for r in preview.results] == ["created", "created", "error"]
    assert "filed_on" in preview.results[2].errors
    assert not Case.objects.exists()
    report = imports.upsert_cases(org["clerk"], rows, source=imports.Source.FILE)
    assert [r.result for r in report.results] == ["created", "created", "error"]
    closed = Case.objects.get(case_number="（2026）黔0281民初2号")
    assert (closed.status, closed.closed_on, closed.closure_method, closed.business_environment) == (
        "closed",
        dt.date(2026, 5, 1),
        "mediation",
        True,
    )


def test_csv_with_english_headers_and_gb18030(org, today):
    text = "case_number,filed_on,division,handler,cause\n(2026)黔0281民初9号,2026-03-01,civil-1,judge1,离婚纠纷\n"
    for encoding in ("utf-8-sig", "gb18030"):
        rows = imports.read_file(io.BytesIO(text.encode(encoding)), "cases.csv")
        assert rows == [
            {
                "case_number": "(2026)黔0281民初9号",
                "filed_on": "2026-03-01",
                "division": "civil-1",
                "handler": "judge1",
                "cause": "离婚纠纷",
            }
        ]


def test_files_without_case_number_column_are_refused(org):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        imports.read_file(io.BytesIO(b"foo,bar\n1,2\n"), "x.csv")
    with pytest.raises(ValidationError):
        imports.read_file(io.BytesIO(b"not a workbook"), "x.xlsx")
    with pytest.raises(ValidationError):
        imports.read_file(io.BytesIO(b""), "x.pdf")


def test_import_cases_command_dry_run_and_real(org, today, tmp_path, capsys):
    path = tmp_path / "cases.csv"
    path.write_text(
        "案号,立案日期,承办部门,承办人\n(2026)黔0281民初1号,2026-03-01,civil-1,judge1\n"
        "(2026)黔0281民初2号,2026-03-01,nowhere,judge1\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError):
        call_command("import_cases", str(path), "--dry-run")
    out = capsys.readouterr()
    assert "dry run" in out.out and "1 created" in out.out and "row 3" in out.err
    assert not Case.objects.exists()
    with pytest.raises(CommandError):
        call_command("import_cases", str(path))
    assert Case.objects.count() == 1
    path.write_text("案号,立案日期,承办部门,承办人\n(2026)黔0281民初1号,2026-03-01,civil-1,judge1\n", encoding="utf-8")
    call_command("import_cases", str(path))
    assert "1 unchanged" in capsys.readouterr().out


def test_bulk_query_count_does_not_grow_with_changed_rows(api, today):
    client = api("integration")
    client.post("/api/v1/cases/bulk/", [row(i) for i in range(1, 206)], format="json")

    def queries(rows):
        with CaptureQueriesContext(connection) as ctx:
            result = client.post("/api/v1/cases/bulk/", rows, format="json").json()
        assert result["updated"] == len(rows), result
        return len(ctx.captured_queries)

    # Detail changes, transfers and closings: the statements per batch do not depend on its size.
    few = queries([row(i, cause="借款合同纠纷", handler="judge2", division="civil-2") for i in range(1, 6)])
    many = queries([row(i, cause="借款合同纠纷", handler="judge2", division="civil-2") for i in range(6, 206)])
    assert few == many
    closing = {"status": "closed", "closed_on": "2026-11-20", "closure_method": "judgment"}
    assert queries([row(i, **closing) for i in range(1, 6)]) == queries([row(i, **closing) for i in range(6, 206)])


def test_bulk_changes_write_the_audit_trail_with_their_source(api, today):
    client = api("integration")
    client.post("/api/v1/cases/bulk/", [row(1), row(2)], format="json")
    client.post("/api/v1/cases/bulk/", [row(1, cause="借款合同纠纷"), row(2)], format="json")
    case = Case.objects.get(case_number="（2026）黔0281民初1号")
    trail = list(case.history.order_by("history_date", "history_id"))
    assert [h.history_type for h in trail] == ["+", "~"]
    assert [h.cause for h in trail] == ["民间借贷纠纷", "借款合同纠纷"]
    assert {h.history_source for h in trail} == {"api_token"}
    assert {h.history_user.username for h in trail} == {"integration"}
    assert all(h.history_ip for h in trail)
    unchanged = Case.objects.get(case_number="（2026）黔0281民初2号")
    assert unchanged.history.count() == 1  # an unchanged row writes nothing


def test_bulk_number_clashes_refuse_only_the_clashing_rows(api, make_case, today):
    client = api("integration")
    client.post(
        "/api/v1/cases/bulk/",
        [row(1, external_id="A"), row(2, external_id="B"), row(3, external_id="C"), row(4, external_id="D")],
        format="json",
    )
    results = client.post(
        "/api/v1/cases/bulk/",
        [
            row(2, external_id="A"),  # case A takes the number case B keeps: refused
            row(50, external_id="C"),  # C and D both move to 50: the first row wins
            row(50, external_id="D"),
            row(4, external_id="B"),  # B moves to 4, which D keeps when its own move is refused
        ],
        format="json",
    ).json()["results"]
    assert [r["result"] for r in results] == ["error", "updated", "error", "error"]
    assert "case_number" in results[0]["errors"] and "case_number" in results[2]["errors"]
    numbers = dict(Case.objects.values_list("external_id", "case_number"))
    assert numbers["A"] == "（2026）黔0281民初1号" and numbers["C"] == "（2026）黔0281民初50号"
    assert numbers["D"] == "（2026）黔0281民初4号"


def test_bulk_swapping_two_numbers_gives_row_errors_not_a_500(api, today):
    client = api("integration")
    client.post("/api/v1/cases/bulk/", [row(1, external_id="A"), row(2, external_id="B")], format="json")
    response = client.post("/api/v1/cases/bulk/", [row(2, external_id="A"), row(1, external_id="B")], format="json")
    assert response.status_code == 200
    results = response.json()["results"]
    # The database refuses the swap mid-statement; row by row, each still clashes with the other.
    assert [r["result"] for r in results] == ["error", "error"]
    numbers = dict(Case.objects.values_list("external_id", "case_number"))
    assert numbers == {"A": "（2026）黔0281民初1号", "B": "（2026）黔0281民初2号"}


def test_a_clerk_s_bulk_answers_another_division_s_case_as_one_that_is_not_there(api, org, make_case, today):
    """Not yours and not there answer alike: nothing of the other division's case comes back."""
    hidden = make_case(
        division=org["other"], handler=org["other_handler"], filed_on=dt.date(2026, 2, 1), external_id="SYS-B-1"
    )
    client = api("clerk")

    def answer(rows):
        response = client.post("/api/v1/cases/bulk/", rows, format="json")
        assert response.status_code == 200, response.content
        sent = str(rows)
        assert hidden.case_number in sent or hidden.case_number not in response.content.decode()
        assert all(result["id"] is None for result in response.json()["results"])
        return response.json()["results"]

    # By external id alone: the same answer as for an external id nobody uses.
    assert answer([{"external_id": "SYS-B-1", "cause": "改"}]) == answer([{"external_id": "SYS-NONE", "cause": "改"}])
    only_id = answer([{"external_id": "SYS-B-1", "cause": "改"}])[0]
    assert only_id["case_number"] is None and only_id["id"] is None and only_id["result"] == "error"
    # With a number of their own, the row would register a case: the external id is a key, taken.
    with_number = answer([row(61, external_id="SYS-B-1")])[0]
    assert with_number["result"] == "error" and set(with_number["errors"]) == {"external_id"}
    # By the other case's number: registering it again is refused as for anyone, with the number sent.
    by_number = answer([row(1, case_number=hidden.case_number, division="civil-1")])[0]
    assert by_number["result"] == "error" and set(by_number["errors"]) == {"case_number"}
    hidden.refresh_from_db()
    assert (hidden.cause, hidden.division_id) == ("民间借贷纠纷", org["other"].pk)
    assert not Case.objects.filter(division=org["division"]).exists()
