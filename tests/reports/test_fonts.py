"""PDFs are made only where a font can draw Chinese: never a document of empty boxes."""

from __future__ import annotations

import datetime as dt

import pytest

from reports import exports, services
from reports.fonts import CJKFontMissing, cjk_font_families
from reports.models import Bulletin, BulletinStatus
from reports.periods import Period
from reports.tasks import publish_bulletin_task

D = dt.date


@pytest.fixture
def no_cjk_font(tmp_path, monkeypatch):
    """fontconfig pointed at an empty font folder, as on a server where no CJK font is installed."""
    (tmp_path / "fonts").mkdir()
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
        f"<fontconfig><dir>{tmp_path / 'fonts'}</dir><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
    )
    monkeypatch.setenv("FONTCONFIG_FILE", str(config))


@pytest.fixture
def draft(org):
    org.case(D(2024, 6, 1), judge="civil-a")
    return services.build_bulletin(Period(2025, 2)).bulletin


def test_the_server_has_a_font_that_draws_chinese():
    # The suite's set-up installs one (scripts/services.sh), as the Dockerfile and `make run` do.
    assert cjk_font_families()


def test_no_font_lists_nothing(no_cjk_font):
    assert cjk_font_families() == []


def test_rendering_without_a_chinese_font_refuses_and_says_what_to_install(draft, no_cjk_font):
    with pytest.raises(CJKFontMissing) as refused:
        exports.bulletin_pdf(draft)
    assert "fonts-noto-cjk" in str(refused.value) and "fonts-wqy-microhei" in str(refused.value)


def test_publishing_without_a_chinese_font_returns_to_draft_with_a_readable_error(org, draft, no_cjk_font):
    services.start_publishing(draft, org.officer)
    with pytest.raises(CJKFontMissing):
        publish_bulletin_task.run(draft.pk, org.officer.pk)
    bulletin = Bulletin.objects.get()
    assert bulletin.status == BulletinStatus.DRAFT and not bulletin.pdf_sha256
    assert bulletin.publish_error.startswith("服务器上没有能显示中文的字体")
    assert "CJKFontMissing" not in bulletin.publish_error


def test_a_draft_pdf_download_without_a_chinese_font_says_so(client, org, draft, no_cjk_font):
    client.force_login(org.officer)
    response = client.get(f"/reports/bulletins/{draft.pk}/download.pdf", follow=True)
    assert response.status_code == 200 and response.redirect_chain
    assert "服务器上没有能显示中文的字体" in response.content.decode()


def test_the_api_answers_503_naming_the_format_without_a_chinese_font(client, org, draft, no_cjk_font):
    client.force_login(org.officer)
    response = client.get(f"/api/v1/bulletins/{draft.pk}/pdf/", HTTP_ACCEPT="application/json")
    assert response.status_code == 503
    assert "fonts-noto-cjk" in response.json()["format"][0]
