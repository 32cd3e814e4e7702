"""The case pages: login required, visibility, search, register, status changes."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from cases.models import Case, CaseEvent
from cases.permissions import effective_head

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 10)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2025, 6, 10, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        yield


def test_pages_require_login(client, make_case):
    case = make_case()
    for url in [
        reverse("home"),
        reverse("cases:list"),
        reverse("cases:detail", args=[case.pk]),
        reverse("cases:register"),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("login") in response["Location"]


def test_login_page_renders_in_chinese_by_default(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "登录" in response.content.decode()


def test_home_shows_level_counts(client, handler, make_case):
    make_case(filed_on=dt.date(2024, 11, 1))  # over 6 months on 2025-06-10
    make_case(filed_on=dt.date(2025, 1, 1))
    client.force_login(handler)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    tiles = {t["level"]: t["count"] for t in response.context["level_tiles"]}
    assert tiles["over_6m"] == 1


def test_case_list_shows_only_visible_cases(client, clerk, make_case, other_division):
    mine = make_case()
    other = make_case(division=other_division, handler=None)
    client.force_login(clerk)
    body = client.get(reverse("cases:list")).content.decode()
    assert mine.case_number in body
    assert other.case_number not in body
    assert client.get(reverse("cases:detail", args=[other.pk])).status_code == 404


def test_search_by_case_number_in_either_bracket_form(client, clerk, make_case):
    case = make_case(filed_on=dt.date(2024, 3, 15), seq=777)
    make_case(seq=778)
    client.force_login(clerk)
    for q in ["(2024)黔0281民初777号", "（2024）黔0281民初777号", "( 2024 ) 黔0281民初777号"]:
        rows = client.get(reverse("cases:list"), {"q": q}).context["page"].rows
        assert [c.pk for c in rows] == [case.pk], q


def test_search_by_party_and_cause(client, clerk, make_case):
    a = make_case(parties="王五诉赵六", cause="离婚纠纷")
    make_case(parties="张三诉李四", cause="民间借贷纠纷")
    client.force_login(clerk)
    assert [c.pk for c in client.get(reverse("cases:list"), {"q": "王五"}).context["page"].rows] == [a.pk]
    assert [c.pk for c in client.get(reverse("cases:list"), {"q": "离婚"}).context["page"].rows] == [a.pk]


def test_filter_by_level_and_sort(client, clerk, make_case):
    old = make_case(filed_on=dt.date(2024, 1, 5))  # over 15 months
    mid = make_case(filed_on=dt.date(2024, 10, 1))  # over 6 months
    make_case(filed_on=dt.date(2025, 5, 1))
    client.force_login(clerk)
    rows = client.get(reverse("cases:list"), {"level": "over_6m"}).context["page"].rows
    assert [c.pk for c in rows] == [mid.pk]
    rows = client.get(reverse("cases:list"), {"sort": "filed_on"}).context["page"].rows
    assert rows[0].pk == old.pk
    assert rows[0].level == "over_15m"


def test_pagination_without_count(client, clerk, make_case):
    for _ in range(55):
        make_case()
    client.force_login(clerk)
    page1 = client.get(reverse("cases:list")).context["page"]
    assert len(page1.rows) == 50 and page1.has_next
    page2 = client.get(reverse("cases:list"), {"page": 2}).context["page"]
    assert len(page2.rows) == 5 and not page2.has_next
    assert client.get(reverse("cases:list"), {"page": "x"}).status_code == 200


def test_htmx_request_returns_the_table_only(client, clerk, make_case):
    make_case()
    client.force_login(clerk)
    response = client.get(reverse("cases:list"), HTTP_HX_REQUEST="true")
    assert "<html" not in response.content.decode()
    assert "<table>" in response.content.decode()


def test_case_list_query_count_is_bounded(client, clerk, make_case, django_assert_max_num_queries):
    for _ in range(30):
        make_case()
    client.force_login(clerk)
    with django_assert_max_num_queries(14):
        client.get(reverse("cases:list"))


def test_case_page_shows_header_lines_and_timeline(client, clerk, make_case, django_assert_max_num_queries):
    case = make_case(filed_on=dt.date(2024, 8, 31))
    CaseEvent.objects.create(case=case, kind="registered", effective_on=case.filed_on)
    client.force_login(clerk)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("cases:detail", args=[case.pk]))
    body = response.content.decode()
    assert case.case_number in body
    assert "2025年2月28日" in body  # the 6-month line, clipped to the month's end
    assert "超6个月" in body


def test_clerk_registers_a_case(client, clerk, handler, division):
    client.force_login(clerk)
    response = client.post(
        reverse("cases:register"),
        {
            "case_number": "(2025)黔0281民初88号",
            "filed_on": "2025-06-01",
            "cause": "买卖合同纠纷",
            "parties": "甲公司诉乙公司",
            "division": division.pk,
            "handler": handler.pk,
            "clerk": clerk.pk,
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    assert case.case_number == "（2025）黔0281民初88号"
    assert case.events.filter(kind="registered", actor=clerk).exists()


def test_register_errors_are_shown_beside_fields_and_input_is_kept(client, clerk, division, make_case):
    make_case(filed_on=dt.date(2025, 3, 1), seq=5)
    client.force_login(clerk)
    response = client.post(
        reverse("cases:register"),
        {"case_number": "(2025)黔0281民初5号", "filed_on": "2025-06-01", "cause": "离婚纠纷", "division": division.pk},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "case_number" in form.errors
    body = response.content.decode()
    assert "离婚纠纷" in body  # what was typed is still there
    response = client.post(
        reverse("cases:register"), {"case_number": "not a number", "filed_on": "2030-01-01", "division": division.pk}
    )
    form = response.context["form"]
    assert "filed_on" in form.errors
    assert not Case.objects.filter(cause="离婚纠纷").exclude(seq=5).exists()


def test_handler_cannot_register(client, handler):
    client.force_login(handler)
    assert client.get(reverse("cases:register")).status_code == 403


def test_status_changes_through_the_service(client, clerk, make_case):
    case = make_case(filed_on=dt.date(2025, 1, 2))
    client.force_login(clerk)
    url = lambda action: reverse("cases:action", args=[case.pk, action])  # noqa: E731
    assert client.post(url("suspend"), {"on": "2025-06-01", "note": "鉴定"}).status_code == 302
    case.refresh_from_db()
    assert case.status == "suspended"
    assert client.post(url("resume"), {"on": "2025-06-05"}).status_code == 302
    # Closing before filing: the service's message is shown beside the date.
    response = client.post(url("close"), {"closed_on": "2024-12-01", "closure_method": "mediation"})
    assert response.status_code == 200
    assert "closed_on" in response.context["form"].errors
    assert client.post(url("close"), {"closed_on": "2025-06-09", "closure_method": "mediation"}).status_code == 302
    case.refresh_from_db()
    assert case.status == "closed" and case.closure_method == "mediation"
    response = client.post(url("reopen"), {"note": ""})
    assert "note" in response.context["form"].errors
    assert client.post(url("reopen"), {"note": "误操作"}).status_code == 302
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds == ["suspended", "resumed", "closed", "reopened"]


def test_transfer_case(client, clerk, make_case, other_division):
    case = make_case()
    client.force_login(clerk)
    response = client.post(reverse("cases:action", args=[case.pk, "transfer"]), {"on": "2025-06-10"})
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    client.post(
        reverse("cases:action", args=[case.pk, "transfer"]), {"on": "2025-06-10", "division": other_division.pk}
    )
    case.refresh_from_db()
    assert case.division == other_division
    assert response.status_code == 200  # the form with its error, before the real transfer


def test_clerk_of_another_division_cannot_change_a_case(client, make_case, other_division):
    from tests.factories import UserFactory

    outsider = UserFactory(court=other_division.court, division=other_division, roles=["clerk"])
    case = make_case()
    client.force_login(outsider)
    assert (
        client.post(reverse("cases:action", args=[case.pk, "suspend"]), {"on": "2025-06-01", "note": "x"}).status_code
        == 404
    )
    case.refresh_from_db()
    assert case.status == "open"


def test_unknown_action_is_404(client, clerk, make_case):
    case = make_case()
    client.force_login(clerk)
    assert client.get(reverse("cases:action", args=[case.pk, "explode"])).status_code == 404


def test_head_reassigns_a_departing_handlers_cases(client, head, handler, division, make_case):
    from tests.factories import UserFactory

    newcomer = UserFactory(username="judge2", court=division.court, division=division, roles=["handler"])
    cases = [make_case() for _ in range(3)]
    closed = make_case(status="closed", closed_on=dt.date(2025, 1, 1), closure_method="judgment")
    client.force_login(head)
    assert client.get(reverse("cases:reassign")).status_code == 200
    response = client.post(
        reverse("cases:reassign"), {"form": "reassign", "from_handler": handler.pk, "to_handler": newcomer.pk}
    )
    assert response.status_code == 302
    assert Case.objects.filter(pk__in=[c.pk for c in cases], handler=newcomer).count() == 3
    closed.refresh_from_db()
    assert closed.handler == handler
    assert CaseEvent.objects.filter(kind="transferred").count() == 3


def test_head_sets_an_acting_head(client, head, handler, division):
    client.force_login(head)
    response = client.post(
        reverse("cases:reassign"),
        {
            "form": "acting",
            "division": division.pk,
            "acting_head": handler.pk,
            "acting_from": "2025-07-01",
            "acting_until": "2025-06-01",
        },
    )
    assert response.status_code == 200 and "acting_until" in response.context["acting"].errors
    client.post(
        reverse("cases:reassign"),
        {
            "form": "acting",
            "division": division.pk,
            "acting_head": handler.pk,
            "acting_from": "2025-07-01",
            "acting_until": "2025-07-31",
        },
    )
    division.refresh_from_db()
    assert division.acting_head == handler
    assert effective_head(division, dt.date(2025, 7, 15)) == handler


@pytest.mark.django_db(transaction=True)
def test_the_acting_head_is_saved_outside_a_test_transaction(client, head, handler, division):
    # As in production (no transaction around the request): the service locks the division
    # inside its own transaction.
    client.force_login(head)
    data = {
        "form": "acting",
        "division": division.pk,
        "acting_head": handler.pk,
        "acting_from": "2025-07-01",
        "acting_until": "2025-07-31",
    }
    assert client.post(reverse("cases:reassign"), data)["Location"] == reverse("cases:reassign")
    division.refresh_from_db()
    assert division.acting_head == handler


def test_staff_page_is_for_heads_only(client, clerk):
    client.force_login(clerk)
    assert client.get(reverse("cases:reassign")).status_code == 403


def test_language_switch_persists_in_a_cookie(client, clerk):
    client.force_login(clerk)
    assert "案件" in client.get(reverse("cases:list")).content.decode()
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("cases:list")})
    assert response.status_code == 302
    assert response.cookies["django_language"]["max-age"] > 30 * 24 * 3600
    body = client.get(reverse("cases:list")).content.decode()
    assert "Register a case" in body


def test_a_person_s_language_follows_them_to_another_computer(clerk, handler):
    from django.test import Client

    desk = Client()
    desk.force_login(clerk)
    desk.post(reverse("set_language"), {"language": "en", "next": reverse("cases:list")})
    clerk.refresh_from_db()
    assert clerk.language == "en"
    # Another computer: no cookie, a browser asking for Chinese; the account's choice wins.
    other = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    other.force_login(clerk)
    assert "Register a case" in other.get(reverse("cases:list")).content.decode()
    # A colleague who chose nothing keeps the court's default, Chinese.
    colleague = Client()
    colleague.force_login(handler)
    assert "案件" in colleague.get(reverse("cases:list")).content.decode()
    # Switching back is kept too; an unknown language changes nothing.
    other.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    other.post(reverse("set_language"), {"language": "xx", "next": "/"})
    clerk.refresh_from_db()
    assert clerk.language == "zh-hans"
    assert "案件" in desk.get(reverse("cases:list")).content.decode()


def test_switching_language_signed_out_only_sets_the_cookie(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302 and response.cookies["django_language"].value == "en"
    assert "<h1>Log in</h1>" in client.get("/accounts/login/").content.decode()


def test_import_preview_then_commit_and_twice_changes_nothing(client, clerk, division, handler, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    csv = (
        "案号,立案日期,承办部门,承办人,案由,当事人\n"
        f"(2025)黔0281民初501号,2025-05-06,{division.code},{handler.username},离婚纠纷,王某诉李某\n"
        f"(2025)黔0281民初502号,2030-01-01,{division.code},{handler.username},离婚纠纷,赵某诉钱某\n"
    ).encode()
    client.force_login(clerk)
    assert client.get(reverse("cases:import")).status_code == 200
    response = client.post(
        reverse("cases:import"), {"step": "preview", "file": SimpleUploadedFile("cases.csv", csv, "text/csv")}
    )
    assert response.status_code == 200
    results = [r.result for r in response.context["report"].results]
    assert results == ["created", "error"]
    assert not Case.objects.exists()  # a preview saves nothing
    client.post(reverse("cases:import"), {"step": "commit"})
    assert Case.objects.filter(case_number="（2025）黔0281民初501号").exists()
    response = client.post(
        reverse("cases:import"), {"step": "preview", "file": SimpleUploadedFile("cases.csv", csv, "text/csv")}
    )
    assert [r.result for r in response.context["report"].results] == ["unchanged", "error"]
    # Commit without a pending preview: asked to upload again, no 500.
    client.post(reverse("cases:import"), {"step": "commit"})
    assert client.post(reverse("cases:import"), {"step": "commit"}).status_code == 302


def test_import_deletes_the_stored_upload_when_imported_or_cancelled(
    client, clerk, division, handler, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    csv = (
        "案号,立案日期,承办部门,承办人,案由,当事人\n"
        f"(2025)黔0281民初601号,2025-05-06,{division.code},{handler.username},离婚纠纷,王某诉李某\n"
    ).encode()

    def stored():
        return sorted(p.name for p in (tmp_path / "imports").rglob("*") if p.is_file())

    def preview():
        client.post(reverse("cases:import"), {"step": "preview", "file": SimpleUploadedFile("c.csv", csv, "text/csv")})
        return client.session["case_import"]["path"]

    client.force_login(clerk)
    # Cancelled: the file is deleted, nothing imported, the import button is gone.
    path = preview()
    assert path.startswith(f"imports/{clerk.pk}/") and len(stored()) == 1
    response = client.post(reverse("cases:import"), {"step": "cancel"}, follow=True)
    assert stored() == [] and "case_import" not in client.session
    assert response.context["pending"] is None and 'id="commit-import"' not in response.content.decode()
    assert not Case.objects.exists()
    # A second preview replaces the first; the import deletes the file.
    preview()
    preview()
    assert len(stored()) == 1
    client.post(reverse("cases:import"), {"step": "commit"})
    assert stored() == [] and Case.objects.count() == 1
    # A preview abandoned two days ago, deleted by the daily cleanup: asked to upload again, not a 500.
    import os

    from django.utils import timezone

    from cases.tasks import delete_stale_uploads_task

    two_days_ago = (timezone.now() - dt.timedelta(days=2)).timestamp()
    os.utime(tmp_path / preview(), (two_days_ago, two_days_ago))
    assert delete_stale_uploads_task.run() == 1
    response = client.post(reverse("cases:import"), {"step": "commit"})
    assert response.status_code == 302 and "case_import" not in client.session


def test_import_rejects_a_bad_file_beside_the_field(client, clerk, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    client.force_login(clerk)
    response = client.post(
        reverse("cases:import"),
        {"step": "preview", "file": SimpleUploadedFile("cases.pdf", b"%PDF", "application/pdf")},
    )
    assert response.status_code == 200 and "file" in response.context["form"].errors


def test_handler_cannot_import(client, handler):
    client.force_login(handler)
    assert client.get(reverse("cases:import")).status_code == 403


def test_not_allowed_and_not_found_pages_keep_the_layout(client, handler):
    client.force_login(handler)
    forbidden = client.get(reverse("cases:register"))
    assert forbidden.status_code == 403 and "不允许" in forbidden.content.decode()
    missing = client.get("/cases/999999/")
    assert missing.status_code == 404 and "案件流程管理" in missing.content.decode()
