"""Browser tests: a small demo court per test, Chromium at an office PC's 1366×768, Chinese locale.
Screenshots of the main pages go to test-artifacts/ (kept by CI as artefacts, ignored by git)."""

from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils import timezone

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
        "viewport": {"width": 1366, "height": 768},
        "accept_downloads": True,
    }


# Every Content-Security-Policy violation in a page, as the browser reports it to the page.
_RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${where}`);
});
"""


@pytest.fixture(autouse=True)
def csp_violations(page):
    """Fails any browser test in whose pages the Content-Security-Policy blocked something: the
    browser's console errors about it on every page, and the violations the last page saw."""
    seen: list[str] = []
    page.add_init_script(_RECORD_VIOLATIONS)
    page.on("console", lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None)

    def collect() -> list[str]:
        try:
            seen.extend(page.evaluate("window.__cspViolations || []"))
            page.evaluate("window.__cspViolations = []")
        except Exception:  # a page closed or navigating: the console has its violations
            pass
        return seen

    yield collect
    assert collect() == [], "Content-Security-Policy violations"


@pytest.fixture
def shot(page):
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return take


@pytest.fixture
def court(transactional_db):
    """The demo court with a few hundred cases, today's daily tracking and dispatch, last month's
    draft bulletin and the figure snapshots of the last 12 month ends and today."""
    from dateutil.relativedelta import relativedelta

    from alerts import jobs
    from alerts.dispatch import monday_of
    from cases import demo
    from cases.services import register_case
    from reports import services
    from reports.periods import Period, trend_dates

    today = timezone.localdate()
    result = demo.seed(300, seed_value=7, today=today)
    users = dict(result.users)
    # A few old open cases of the demo handler, so that every role has work on the lists.
    for months, seq in ((8, 90001), (11, 90002), (17, 90003)):
        filed = today - relativedelta(months=months)
        register_case(
            None,
            case_number=f"（{filed.year}）黔0281民初{seq}号",
            filed_on=filed,
            division=users["handler"].division,
            handler=users["handler"],
            cause="民间借贷纠纷",
            parties="张某诉王某",
        )
    jobs.run_track_daily(today)
    jobs.run_dispatch_weekly(monday_of(today))
    services.build_bulletin(Period.last_month(today))
    services.backfill_snapshots([*trend_dates(today), today])
    return SimpleNamespace(today=today, password=demo.DEMO_PASSWORD, **users)


@pytest.fixture
def login(page, live_server, court):
    def log_in(user) -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", court.password)
        page.click("main button[type=submit]")
        page.wait_for_load_state()

    return log_in
