"""Import files are read within limits: a compressed-file bomb (432 KB of XLSX holding three million
rows, 147 MB of sheet XML) is refused within a second or so and a few MB by the import page and by
`import_cases`, and a file of more rows than the limit is refused naming the limit, without
reading it to the end."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from cases import imports
from cases.models import Case
from tests.xlsx_bomb import sheet_xml_size, write_xlsx_bomb

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    path = write_xlsx_bomb(tmp_path_factory.mktemp("bomb") / "cases.xlsx")
    assert path.stat().st_size < 1024 * 1024 and sheet_xml_size(path) > 140 * 1000 * 1000
    return path


# Runs in a fresh interpreter, so that its peak memory is the reading's and not the test run's.
_MEASURE = textwrap.dedent(
    """
    import json, resource, sys, time, tracemalloc
    import django
    django.setup()
    from django.core.exceptions import ValidationError
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.utils import translation
    from cases import imports

    translation.activate("en")
    how, path = sys.argv[1], sys.argv[2]
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    started = time.monotonic()
    message = ""
    try:
        if how == "page":
            with open(path, "rb") as fh:
                imports.read_file(fh, "cases.xlsx")
        else:
            call_command("import_cases", path, "--dry-run")
    except (ValidationError, CommandError) as exc:
        message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    print(json.dumps({
        "message": message,
        "seconds": time.monotonic() - started,
        "traced_peak_mb": tracemalloc.get_traced_memory()[1] / 2**20,
        "rss_growth_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024,
    }))
    """
)


def measure(how: str, path: Path) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "courtflow.test_settings"}
    # Before the limits this ran 93 s and grew to 1.1 GB (page) or 5 min and 990 MB (command).
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, how, str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("how", ["page", "command"])
def test_a_compressed_file_bomb_is_refused_fast_and_small(bomb, how):
    result = measure(how, bomb)
    limit = imports.unpacked_limit(imports.MAX_ROWS if how == "page" else imports.FILE_MAX_ROWS)
    if how == "page":
        # Refused on the sizes the archive declares, before any XML is parsed.
        assert f"unpacks to {sheet_xml_size(bomb) / 2**20:,.1f} MB" in result["message"], result
        assert f"at most {limit / 2**20:,.1f} MB" in result["message"], result
    else:
        # The command allows larger files; this sheet does not say how many rows it has, and
        # openpyxl would read all 147 MB to find out: refused before that.
        assert "does not record its size" in result["message"], result
    # Generous bounds on a shared two-core machine; the measured figures are in bench/RESULTS.md.
    assert result["seconds"] < 5, result
    assert result["traced_peak_mb"] < 10, result
    assert result["rss_growth_mb"] < 40, result


@pytest.mark.slow
def test_the_import_page_refuses_the_bomb_and_keeps_nothing(client, clerk, settings, tmp_path, bomb):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(clerk)
    started = time.monotonic()
    upload = SimpleUploadedFile("cases.xlsx", bomb.read_bytes())
    response = client.post("/cases/import/", {"step": "preview", "file": upload}, HTTP_ACCEPT_LANGUAGE="en")
    assert time.monotonic() - started < 10
    assert response.status_code == 200
    page = response.content.decode()
    limit = imports.unpacked_limit(1000) / 2**20
    assert f"unpacks to 140.2 MB; a file of at most 1,000 rows may unpack to at most {limit:.1f} MB" in page
    assert not [p for p in tmp_path.rglob("*") if p.is_file()], "the refused upload was kept"
    assert not Case.objects.exists()


def workbook(rows: int, dimension: str | None = None) -> io.BytesIO:
    """An XLSX written by openpyxl with `rows` cases; `dimension` rewrites the size the sheet
    records, as other programs write it (Apache POI's streaming writer leaves "A1")."""
    book = Workbook()
    sheet = book.active
    sheet.append(["案号", "立案日期", "案由"])
    for n in range(1, rows + 1):
        sheet.append([f"（2024）黔0281民初{n}号", "2024-03-01", "民间借贷纠纷"])
    data = io.BytesIO()
    book.save(data)
    if dimension is None:
        data.seek(0)
        return data
    out = io.BytesIO()
    with zipfile.ZipFile(data) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="{dimension}"/>'.encode(), content)
            target.writestr(info, content)
    out.seek(0)
    return out


def csv_file(rows: int) -> io.BytesIO:
    lines = ["案号,立案日期"] + [f"（2024）黔0281民初{n}号,2024-03-01" for n in range(1, rows + 1)]
    return io.BytesIO("\n".join(lines).encode())


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_file_of_more_rows_than_the_limit_is_refused_naming_it(kind, settings):
    settings.LANGUAGE_CODE = "en"
    make = workbook if kind == "xlsx" else csv_file
    assert len(imports.read_file(make(imports.MAX_ROWS), f"cases.{kind}")) == imports.MAX_ROWS
    with pytest.raises(ValidationError) as refused:
        imports.read_file(make(imports.MAX_ROWS + 1), f"cases.{kind}")
    assert refused.value.message_dict == {
        "file": ["The file has more than 1,000 rows; at most 1,000 rows can be imported at once."]
    }


def test_the_limit_message_is_translated():
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        imports.read_file(csv_file(3), "cases.csv", max_rows=2)
    assert refused.value.message_dict["file"] == ["文件超过 2 行；一次最多导入 2 行。"]


def test_rows_are_read_whatever_size_the_sheet_records():
    # Apache POI's streaming writer (used by many court systems' exports) records "A1";
    # read-only openpyxl trusted it and read one cell. A size far beyond the data costs nothing.
    for dimension in ("A1", "A1:XFD1048576"):
        rows = imports.read_file(workbook(3, dimension), "cases.xlsx")
        assert [r["case_number"] for r in rows] == [f"（2024）黔0281民初{n}号" for n in (1, 2, 3)]


def test_the_command_refuses_a_file_over_its_row_limit_before_saving_anything(db, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_bytes(csv_file(30).getvalue())
    with pytest.raises(CommandError, match="一次最多导入 20 行"):  # the court's language, as operators read it
        call_command("import_cases", str(path), "--max-rows", "20")
    assert not Case.objects.exists()
