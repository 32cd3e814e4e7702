"""Case-file imports: a file of the wrong type or a damaged one is refused with a message, never a
500, and nothing is imported; an oversized file is refused before it is parsed."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import Case

pytestmark = pytest.mark.django_db


def preview(client, name: str, content: bytes, content_type: str = "application/octet-stream"):
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post("/cases/import/", {"step": "preview", "file": upload})


@pytest.mark.parametrize(
    "name,content",
    [
        ("cases.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"),
        ("cases.xlsx", b"PK\x03\x04 this is not a workbook"),
        ("cases.csv", "案号,立案日期\n".encode("gbk") + b"\xff\xfe\x00"),
        ("cases.csv", b""),
        ("cases.html", b"<script>alert(1)</script>"),
    ],
)
def test_wrong_or_damaged_files_are_refused_with_a_message(client, clerk, settings, tmp_path, name, content):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(clerk)
    before = Case.objects.count()
    response = preview(client, name, content)
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert Case.objects.count() == before
    assert client.post("/cases/import/", {"step": "commit"}).status_code in (200, 302)
    assert Case.objects.count() == before


def test_an_oversized_import_file_is_refused(client, clerk, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    client.force_login(clerk)
    big = io.BytesIO()
    big.write("案号,立案日期,案由\n".encode())
    while big.tell() < 256 * 1024:
        big.write("（2024）黔0281民初1号,2024-01-02,民间借贷纠纷\n".encode())
    response = preview(client, "cases.csv", big.getvalue(), "text/csv")
    assert response.status_code == 200  # the form again, with the error beside the field
    assert "KB" in response.content.decode()
    stored = list((tmp_path / "imports").rglob("*")) if (tmp_path / "imports").exists() else []
    assert not [p for p in stored if p.is_file()], "an oversized file was stored"
    assert Case.objects.count() == 0
