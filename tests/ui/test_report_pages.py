"""Reports pages: overview and drill-down, bulletin publish / sign-off / downloads."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from jobs.models import JobRun
from reports import services
from reports.models import Bulletin
from reports.periods import Period
from reports.tasks import publish_bulletin_task

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2025, 6, 10, 9, 0, tzinfo=SHANGHAI), tick=False):
        yield


@pytest.fixture
def cases(make_case):
    made = [make_case(filed_on=dt.date(2024, 1, 5)), make_case(filed_on=dt.date(2024, 10, 2))]
    made += [make_case(filed_on=dt.date(2025, 5, 1)) for _ in range(3)]
    return made


@pytest.fixture
def bulletin(cases):
    services.build_bulletin(Period(2025, 5))
    return Bulletin.objects.get(period="2025-05")


def test_overview_without_figures_says_so(client, president):
    client.force_login(president)
    response = client.get(reverse("reports:overview"))
    assert response.status_code == 200
    assert response.context["overview"] is None


def test_overview_and_drill_down(client, president, handler, division, cases, django_assert_max_num_queries):
    services.snapshot_figures(dt.date(2025, 6, 9))
    client.force_login(president)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("reports:overview"))
    assert response.status_code == 200
    assert response.context["total"].over_6m == 2
    body = response.content.decode()
    assert "<svg" in body and division.name in body
    with django_assert_max_num_queries(15):
        response = client.get(reverse("reports:division", args=[division.pk]))
    rows = response.context["overview"].rows
    assert [r.handler_id for r in rows] == [handler.pk]
    # The handler row leads to their cases over 6 months.
    url = reverse("cases:list") + f"?division={division.pk}&handler={handler.pk}&over=6&sort=filed_on"
    assert url.replace("&", "&amp;") in response.content.decode()
    listed = client.get(url).context["page"].rows
    assert [c.pk for c in listed] == [cases[0].pk, cases[1].pk]


def test_overview_is_for_leaders(client, clerk):
    client.force_login(clerk)
    assert client.get(reverse("reports:overview")).status_code == 403


def test_president_home_goes_to_overview(client, president):
    client.force_login(president)
    assert client.get(reverse("home"))["Location"] == reverse("reports:overview")


def test_tracker_publishes_and_head_signs_off(client, tracker, head, bulletin, cases, django_assert_max_num_queries):
    client.force_login(head)
    assert client.get(reverse("reports:bulletin", args=[bulletin.pk])).status_code == 404  # drafts are not theirs
    client.force_login(tracker)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("reports:bulletin", args=[bulletin.pk]))
    assert response.context["can_publish"]
    assert cases[0].case_number in response.content.decode()
    response = client.post(reverse("reports:bulletin_publish", args=[bulletin.pk]))
    assert response["Location"] == reverse("reports:bulletin", args=[bulletin.pk])
    bulletin.refresh_from_db()
    assert bulletin.is_publishing and bulletin.publishing_by == tracker

    # While the worker renders: the officer sees who started it and when, the page refreshes
    # itself, no second publish button, no PDF yet; the head cannot sign off yet.
    with django_assert_max_num_queries(15):
        response = client.get(reverse("reports:bulletin", args=[bulletin.pk]))
    body = response.content.decode()
    assert '<meta http-equiv="refresh" content="10">' in body
    assert 'id="publishing-state"' in body and str(tracker) in body and "2025-06-10 09:00" in body
    assert 'id="publish-bulletin"' not in body and 'id="download-pdf"' not in body
    pdf = client.get(reverse("reports:bulletin_download", args=[bulletin.pk, "pdf"]))
    assert pdf.status_code == 302 and pdf["Location"] == reverse("reports:bulletin", args=[bulletin.pk])
    client.force_login(head)
    assert client.get(reverse("reports:bulletin", args=[bulletin.pk])).status_code == 404  # not published yet
    client.post(reverse("reports:bulletin_sign_off", args=[bulletin.pk]), {"division": head.division_id})
    assert not bulletin.sign_offs.exists()

    # The worker's part, run here in-process (tests/reports/test_worker.py runs a real worker).
    publish_bulletin_task.run(bulletin.pk, tracker.pk)
    bulletin.refresh_from_db()
    assert bulletin.is_published and len(bulletin.pdf_sha256) == 64
    client.force_login(tracker)
    body = client.get(reverse("reports:bulletin", args=[bulletin.pk])).content.decode()
    assert "http-equiv" not in body and 'id="download-pdf"' in body and bulletin.title in body

    client.force_login(head)
    response = client.get(reverse("reports:bulletin", args=[bulletin.pk]))
    assert [d.pk for d in response.context["signable"]] == [head.division_id]
    client.post(reverse("reports:bulletin_sign_off", args=[bulletin.pk]), {"division": head.division_id})
    assert bulletin.sign_offs.filter(signed_by=head).exists()
    assert not client.get(reverse("reports:bulletin", args=[bulletin.pk])).context["signable"]


def test_double_publish_queues_one_job(client, tracker, bulletin, broker_queue, django_capture_on_commit_callbacks):
    import json

    client.force_login(tracker)
    url = reverse("reports:bulletin_publish", args=[bulletin.pk])
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url)
        second = client.post(url, follow=True)
    assert first.status_code == 302 and second.status_code == 200
    # The first press started it; the second is told it is already being published.
    assert [m.level_tag for m in second.context["messages"]] == ["success", "error"]
    messages = [json.loads(raw) for raw in broker_queue.lrange("celery", 0, -1)]
    assert [(m["headers"]["task"], m["headers"]["argsrepr"]) for m in messages] == [
        ("reports.tasks.publish_bulletin_task", f"[{bulletin.pk}, {tracker.pk}]")
    ]


def test_publishing_with_the_broker_away_waits_instead_of_failing(
    transactional_db, client, tracker, bulletin, broker_away
):
    # Committed as in production (no test transaction), so the view knows the send failed.
    client.force_login(tracker)
    response = client.post(reverse("reports:bulletin_publish", args=[bulletin.pk]))
    assert response.status_code == 302
    waiting = JobRun.objects.get(outcome="waiting")
    assert waiting.counts == {"task": "reports.tasks.publish_bulletin_task", "args": [bulletin.pk, tracker.pk]}
    response = client.get(response["Location"])
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["warning"]
    assert 'id="publishing-state"' in response.content.decode()
    assert Bulletin.objects.get().is_publishing


def test_a_failed_publication_is_shown_and_can_be_retried(client, tracker, bulletin, settings, tmp_path):
    client.force_login(tracker)
    client.post(reverse("reports:bulletin_publish", args=[bulletin.pk]))
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    settings.MEDIA_ROOT = blocked  # the PDF cannot be stored
    with pytest.raises(OSError):
        publish_bulletin_task.run(bulletin.pk, tracker.pk)
    response = client.get(reverse("reports:bulletin", args=[bulletin.pk]))
    body = response.content.decode()
    assert 'id="publish-error"' in body and str(blocked) in body
    assert "http-equiv" not in body and response.context["can_publish"]
    settings.MEDIA_ROOT = tmp_path / "media"
    client.post(reverse("reports:bulletin_publish", args=[bulletin.pk]))
    publish_bulletin_task.run(bulletin.pk, tracker.pk)
    assert Bulletin.objects.get().is_published


def test_a_stalled_publication_is_offered_again(client, tracker, bulletin):
    client.force_login(tracker)
    client.post(reverse("reports:bulletin_publish", args=[bulletin.pk]))
    later = dt.datetime(2025, 6, 10, 9, 31, tzinfo=SHANGHAI)
    with time_machine.travel(later, tick=False):
        response = client.get(reverse("reports:bulletin", args=[bulletin.pk]))
        assert response.context["publishing_stalled"] and response.context["can_publish"]
        assert "http-equiv" not in response.content.decode()
        client.post(reverse("reports:bulletin_publish", args=[bulletin.pk]))
    assert Bulletin.objects.get().publishing_started_at == later


def test_downloads(client, tracker, bulletin, cases):
    client.force_login(tracker)
    csv = client.get(reverse("reports:bulletin_download", args=[bulletin.pk, "csv"]))
    assert csv["Content-Type"].startswith("text/csv")
    assert cases[0].case_number in b"".join(csv.streaming_content).decode("utf-8-sig")
    xlsx = client.get(reverse("reports:bulletin_download", args=[bulletin.pk, "xlsx"]))
    assert xlsx.content[:2] == b"PK"
    assert client.get(reverse("reports:bulletin_download", args=[bulletin.pk, "doc"])).status_code == 404


def test_a_large_draft_is_not_rendered_as_pdf_in_the_request(client, tracker, bulletin, settings):
    listed = bulletin.items.count()
    assert listed == 2  # the two cases over 6 months on 31 May
    client.force_login(tracker)
    settings.BULLETIN_DRAFT_PDF_MAX_CASES = listed  # small enough: rendered on the fly
    body = client.get(reverse("reports:bulletin", args=[bulletin.pk])).content.decode()
    assert 'id="download-pdf"' in body and 'id="draft-pdf-note"' not in body
    assert client.get(reverse("reports:bulletin_download", args=[bulletin.pk, "pdf"])).content[:4] == b"%PDF"
    settings.BULLETIN_DRAFT_PDF_MAX_CASES = listed - 1  # too large for a request
    body = client.get(reverse("reports:bulletin", args=[bulletin.pk])).content.decode()
    assert 'id="download-pdf"' not in body and 'id="draft-pdf-note"' in body and "本草稿列有 2 件案件" in body
    response = client.get(reverse("reports:bulletin_download", args=[bulletin.pk, "pdf"]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("reports:bulletin", args=[bulletin.pk])
    assert "本草稿列有 2 件案件" in response.content.decode()
    # Published, the stored document is offered whatever the size.
    services.start_publishing(bulletin, tracker)
    publish_bulletin_task.run(bulletin.pk, tracker.pk)
    body = client.get(reverse("reports:bulletin", args=[bulletin.pk])).content.decode()
    assert 'id="download-pdf"' in body and 'id="draft-pdf-note"' not in body


def test_published_pdf_is_the_stored_document(client, tracker, bulletin):
    import hashlib

    services.start_publishing(bulletin, tracker)
    publish_bulletin_task.run(bulletin.pk, tracker.pk)
    bulletin.refresh_from_db()
    client.force_login(tracker)
    response = client.get(reverse("reports:bulletin_download", args=[bulletin.pk, "pdf"]))
    body = b"".join(response.streaming_content)
    assert body[:4] == b"%PDF"
    assert hashlib.sha256(body).hexdigest() == bulletin.pdf_sha256


def test_bulletin_list(client, clerk, tracker, bulletin):
    client.force_login(clerk)
    assert not client.get(reverse("reports:bulletin_list")).context["page"].rows
    client.force_login(tracker)
    assert client.get(reverse("reports:bulletin_list")).context["page"].rows == [bulletin]


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "today"])
def test_overview_and_drill_down_with_a_date_outside_the_range_show_the_latest_figures(
    client, president, division, cases, day
):
    services.snapshot_figures(dt.date(2025, 6, 9))
    client.force_login(president)
    for url in (reverse("reports:overview"), reverse("reports:division", args=[division.pk])):
        response = client.get(url, {"as_of": day}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, url
        assert response.context["overview"].as_of == dt.date(2025, 6, 9)
        assert "not a date from 1900-01-01 to 2999-12-31" in response.content.decode()
    response = client.get(reverse("reports:overview"), {"as_of": "1900-01-01"})
    assert response.status_code == 200
