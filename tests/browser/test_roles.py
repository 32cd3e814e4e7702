"""Each role logs in and does its main task end to end in Chromium."""

import datetime as dt
import io
import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_registers_and_closes_a_case(page, live_server, court, login, shot):
    from cases.models import Case

    login(court.clerk)
    expect(page.locator("h1")).to_contain_text("您好")
    shot("home-clerk")
    page.click("nav.nav >> text=立案登记")
    year = court.today.year
    # A wrong number first: the message appears beside the field and the typed cause stays.
    page.fill("#id_case_number", f"({year})黔0281民X1号")
    page.fill("#id_cause", "买卖合同纠纷")
    page.fill("#id_parties", "甲公司诉乙公司")
    page.select_option("#id_handler", index=1)
    page.click("main button[type=submit]")
    expect(page.locator("#id_case_number_errors")).to_be_visible()
    expect(page.locator("#id_cause")).to_have_value("买卖合同纠纷")
    shot("register-error")
    page.fill("#id_case_number", f"({year})黔0281民初99001号")
    page.click("main button[type=submit]")
    number = f"（{year}）黔0281民初99001号"
    expect(page.locator("h1")).to_contain_text(number)
    shot("case-page-new")
    page.click("main a.btn >> text=结案")
    page.select_option("#id_closure_method", "mediation")
    page.click("main button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("已保存")
    expect(page.locator("main")).to_contain_text("调解")
    case = Case.objects.get(case_number=number)
    assert case.status == "closed" and case.closure_method == "mediation"
    page.goto(f"{live_server.url}/cases/?q=({year})黔0281民初99001号&status=all")
    expect(page.locator("#case-table")).to_contain_text(number)
    page.goto(f"{live_server.url}/cases/")
    shot("case-list")


def test_handler_files_a_plan(page, live_server, court, login, shot):
    from alerts.models import ClearancePlan
    from cases.models import Case

    case = (
        Case.objects.filter(handler=court.handler, closed_on__isnull=True, line_6m__lt=court.today)
        .order_by("filed_on")
        .first()
    )
    assert case is not None
    login(court.handler)
    shot("home-handler")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    shot("case-page-old")
    page.click("text=填报清结计划")
    page.select_option("#id_reason", "appraisal")
    page.fill("#id_expected_close_on", (court.today + dt.timedelta(days=60)).isoformat())
    page.fill("#id_steps", "督促鉴定机构在30日内出具鉴定意见，随后开庭审理。")
    shot("plan-form")
    page.click("button[name=submit]")
    expect(page.locator(".messages")).to_contain_text("已提交")
    expect(page.locator("#plans")).to_contain_text("督促鉴定机构")
    assert ClearancePlan.objects.get(case=case).status == "submitted"


def test_division_head_approves_a_plan_and_acknowledges_the_dispatch(page, live_server, court, login, shot):
    from alerts import services
    from alerts.models import ClearancePlan, DispatchList
    from cases.models import Case

    case = Case.objects.filter(handler=court.handler, closed_on__isnull=True, line_6m__lt=court.today).first()
    plan = services.file_plan(
        court.handler,
        case,
        reason="parties",
        expected_close_on=court.today + dt.timedelta(days=45),
        steps="组织双方再次调解。",
        submit=True,
    )
    login(court.division_head)
    shot("home-head")
    page.click("nav.nav >> text=清结计划")
    expect(page.locator("main")).to_contain_text(case.case_number)
    shot("plans-head")
    page.fill(f"#comment-{plan.pk}", "同意，按期结案。")
    page.click("button[name=decision][value=approve]")
    expect(page.locator(".messages")).to_contain_text("已批准")
    plan.refresh_from_db()
    assert plan.status == "approved"

    page.click("nav.nav >> text=周调度")
    dl = DispatchList.objects.filter(division=court.division_head.division).order_by("-as_of").first()
    assert dl is not None
    page.click(f"a[href='/alerts/dispatch/{dl.pk}/']")
    shot("dispatch-head")
    page.click("#acknowledge-dispatch")
    expect(page.locator("main")).to_contain_text("确认")
    dl.refresh_from_db()
    assert dl.acknowledged_by_id == court.division_head.pk
    assert ClearancePlan.objects.filter(status="approved").count() == 1


def test_tracking_officer_publishes_the_bulletin_and_the_head_signs_it_off(
    page, live_server, court, login, shot, broker_queue
):
    from pypdf import PdfReader

    from reports.models import Bulletin
    from reports.tasks import publish_bulletin_task

    bulletin = Bulletin.objects.get()
    listed = list(bulletin.items.order_by("case_number").values_list("case_number", flat=True)[:5])
    assert listed
    login(court.tracking_officer)
    shot("home-tracker")
    page.click("nav.nav >> text=日跟踪")
    shot("tracking")
    page.click("nav.nav >> text=任务")
    shot("jobs")
    page.click("nav.nav >> text=通报")
    page.click(f"a[href='/reports/bulletins/{bulletin.pk}/'] >> nth=0")
    page.click("#publish-bulletin")
    # Publishing runs in the background: the page says so, who started it, and refreshes itself.
    expect(page.locator("#publishing-state")).to_contain_text(str(court.tracking_officer))
    expect(page.locator("meta[http-equiv='refresh']")).to_have_count(1)
    expect(page.locator("#download-pdf")).to_have_count(0)
    expect(page.locator("#publish-bulletin")).to_have_count(0)
    shot("bulletin-publishing")
    # The job went to Redis; the worker's part is run here, in-process, between the two page views
    # (tests/reports/test_worker.py publishes through a real worker).
    assert len(broker_queue.lrange("celery", 0, -1)) == 1
    publish_bulletin_task.run(bulletin.pk, court.tracking_officer.pk)
    page.reload()
    expect(page.locator(".badge.published")).to_be_visible()
    expect(page.locator("meta[http-equiv='refresh']")).to_have_count(0)
    expect(page.locator("#publishing-state")).to_have_count(0)
    shot("bulletin")
    page.emulate_media(media="print")
    shot("bulletin-print")
    expect(page.locator("nav.nav")).to_be_hidden()
    page.emulate_media(media="screen")
    with page.expect_download() as download_info:
        page.click("#download-pdf")
    pdf = download_info.value
    with open(pdf.path(), "rb") as fh:
        data = fh.read()
    assert data[:4] == b"%PDF"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    compact = re.sub(r"\s+", "", text)
    for number in listed:
        assert number in compact

    page.click("button:has-text('退出')")
    login(court.division_head)
    page.goto(f"{live_server.url}/reports/bulletins/{bulletin.pk}/")
    page.click("button.sign-off")
    expect(page.locator(".messages")).to_contain_text("签阅")
    assert bulletin.sign_offs.filter(signed_by=court.division_head).exists()


def test_president_drills_down_to_a_case(page, live_server, court, login, shot):
    login(court.president)
    expect(page).to_have_url(re.compile(r"/reports/overview/$"))
    expect(page.locator("svg.chart").first).to_be_visible()
    shot("overview")
    page.click("main table >> text=民一庭")
    expect(page.locator("h1")).to_contain_text("民一庭")
    shot("division")
    page.click(f"main a.drill >> text={court.handler.name}")
    expect(page.locator("#case-table table")).to_be_visible()
    page.click("#case-table tbody a >> nth=0")
    expect(page.locator("h2 >> text=案龄")).to_be_visible()


def test_language_switch_persists(page, live_server, court, login, shot):
    login(court.clerk)
    expect(page.locator("nav.nav")).to_contain_text("案件")
    page.select_option("#language-select", "en")
    page.click("#language-submit")
    expect(page.locator("nav.nav")).to_contain_text("Cases")
    page.goto(f"{live_server.url}/cases/")
    expect(page.locator("h1")).to_contain_text("Cases")
    shot("case-list-en")
    page.select_option("#language-select", "zh-hans")
    page.click("#language-submit")
    expect(page.locator("nav.nav")).to_contain_text("立案登记")


def test_integration_account_gets_its_one_page(page, live_server, court, login, shot):
    login(court.integration)
    expect(page).to_have_url(re.compile(r"/integration/$"))
    expect(page.locator("h1")).to_contain_text("系统对接账号")
    expect(page.locator("main")).to_contain_text(f"drf_create_token {court.integration.username}")
    expect(page.locator("nav.nav")).to_have_count(0)
    shot("integration")
    page.goto(f"{live_server.url}/cases/")
    expect(page).to_have_url(re.compile(r"/integration/$"))
    page.click("#api-docs")
    expect(page).to_have_url(re.compile(r"/api/docs/$"))
    page.go_back()
    page.click("#sign-out")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
