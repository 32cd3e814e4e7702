"""Long documents from HTML parts: each part rendered by WeasyPrint (in worker processes when there
are many), the parts joined with pypdf, and the pages numbered across the whole document.

Why it is built this way (bench/RESULTS.md has the figures):

* WeasyPrint keeps a whole document's layout in memory (about 100 KB per table row), so a long
  list is rendered in parts and memory stays bounded by a part per process.
* The parts are independent, so they render at the same time in worker processes, up to one per
  core. The workers are plain subprocesses (`python -m reports.pdf`) fed through pipes, not a
  `multiprocessing` pool: Celery's prefork pool processes are daemonic and `multiprocessing` refuses
  to start children there. A worker reads parts from its stdin until it ends, so when the process
  that started it dies (a pool process killed for memory, say) its workers end after the part at
  hand instead of lingering.
* A part rendered in parallel cannot know on which page it starts, so the parts carry no page
  numbers: once a part's pages are joined, their numbers are rendered by WeasyPrint too (a document
  of empty pages under the same `@page` rule, whose footer shows the number) and laid over them.
  The numbers look as they did when WeasyPrint drew them with the content.
* WeasyPrint makes millions of small objects, none of them garbage until the document is dropped;
  Python's cyclic garbage collector kept walking them all, a third of the rendering time. It is
  paused while a part renders.
* WeasyPrint's user-agent stylesheet styles pseudo-elements of every element; without those rules
  (which our documents do not use) the same PDF renders a tenth faster (`_html_class`).

No Django here: the worker processes import this module and WeasyPrint only.
"""

from __future__ import annotations

import functools
import gc
import io
import os
import re
import struct
import subprocess
import sys
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

_LENGTH = struct.Struct(">Q")
_OK, _FAILED = b"K", b"E"
_PROJECT_ROOT = Path(__file__).resolve().parent.parent


class RenderError(RuntimeError):
    """A worker process failed to render a part, or died."""


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a part renders. Process-wide: in a web process rendering a
    draft, other threads go without it for those seconds (reference counting still frees memory)."""
    if not gc.isenabled():  # another thread of this process is rendering: it turns it on again
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        # The part's layout is still in the youngest generation: the next automatic collection
        # frees its cycles, without walking the older objects as gc.collect() would.
        gc.enable()


# A whole rule on one line, for a pseudo-element of any element: "::marker { … }".
_EVERY_ELEMENTS_PSEUDO = re.compile(r"::[a-z-]+\s*\{[^{}]*\}\s*$")


@functools.cache
def _html_class():
    """WeasyPrint's HTML, drawing exactly the same, without the user-agent rules that style
    pseudo-elements of every element (`::marker`, `::footnote-call`, …): those gave each of the
    list's thousands of cells six styles more to compute, a tenth of the rendering time. Our
    documents have no lists, footnotes or notes. `_ua_stylesheets` is WeasyPrint's own hook;
    should a release rename it (or the stylesheet), its stylesheet is used whole, only slower.
    tests/reports/test_pdf.py checks the PDF is byte for byte the same either way."""
    from weasyprint import CSS, HTML

    try:
        from weasyprint.html import UA, UA_COUNTER_STYLE, UA_STYLESHEET
    except ImportError:
        return HTML
    kept = "\n".join(line for line in UA.splitlines() if not _EVERY_ELEMENTS_PSEUDO.match(line))
    lean = CSS(string=kept, counter_style=UA_COUNTER_STYLE)

    class LeanHTML(HTML):
        def _ua_stylesheets(self, *args, **kwargs):
            return [lean if sheet is UA_STYLESHEET else sheet for sheet in super()._ua_stylesheets(*args, **kwargs)]

    return LeanHTML


def render(html: str, base_url: str) -> bytes:
    """One part as PDF, in this process."""
    html_class = _html_class()  # WeasyPrint: a heavy import, only where a PDF is made
    with _gc_paused():
        return html_class(string=html, base_url=base_url).write_pdf()


# --- worker processes -----------------------------------------------------------------------


def _read_exact(stream: BinaryIO, size: int) -> bytes | None:
    data = stream.read(size)
    return data if len(data) == size else None


class _Worker:
    """A `python -m reports.pdf` subprocess: one part in, its PDF out, one at a time."""

    def __init__(self, base_url: str) -> None:
        # Our own interpreter, running this module; the arguments are ours, not a user's. The
        # project's folder goes first on its path, whatever the current folder (or PYTHONSAFEPATH).
        path = os.pathsep.join(filter(None, [str(_PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "reports.pdf", base_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=_PROJECT_ROOT,
            env={**os.environ, "PYTHONPATH": path},
        )

    def send(self, html: str) -> None:
        data = html.encode("utf-8")
        try:
            self.process.stdin.write(_LENGTH.pack(len(data)) + data)
            self.process.stdin.flush()
        except BrokenPipeError:
            raise self._died() from None

    def receive(self) -> bytes:
        kind = _read_exact(self.process.stdout, 1)
        header = _read_exact(self.process.stdout, _LENGTH.size) if kind else None
        payload = _read_exact(self.process.stdout, _LENGTH.unpack(header)[0]) if header else None
        if payload is None:
            raise self._died()
        if kind != _OK:
            raise RenderError(f"A PDF worker process failed to render a part:\n{payload.decode('utf-8', 'replace')}")
        return payload

    def _died(self) -> RenderError:
        code = self.process.wait()
        return RenderError(f"A PDF worker process ended unexpectedly (exit code {code}).")

    def close(self, *, kill: bool = False) -> None:
        """Let the worker end (its stdin closes), or kill it; wait for it either way."""
        if kill:
            self.process.kill()
        with suppress(BrokenPipeError):
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


def _render_in_processes(htmls: Iterable[str], base_url: str, processes: int) -> Iterator[bytes]:
    """Parts rendered by up to `processes` workers, yielded in order. Part i goes to worker
    i % processes, so the oldest part in flight is always on the worker the next part needs; the
    next part is sent before the finished one is handed on, so that worker renders while the
    caller joins."""
    workers: list[_Worker] = []
    in_flight: deque[_Worker] = deque()
    failed = False
    try:
        # All at once, first: they start up while the first parts are read and written.
        workers.extend(_Worker(base_url) for _ in range(processes))
        for i, html in enumerate(htmls):
            done = in_flight.popleft().receive() if len(in_flight) == processes else None
            worker = workers[i % processes]
            worker.send(html)
            in_flight.append(worker)
            if done is not None:
                yield done
        while in_flight:
            yield in_flight.popleft().receive()
    except BaseException:  # a failure, the task's time limit, or the caller stopped reading
        failed = True
        raise
    finally:
        for worker in workers:
            worker.close(kill=failed or bool(in_flight))


def render_parts(htmls: Iterable[str], *, base_url: str, processes: int = 1) -> Iterator[bytes]:
    """Each HTML part as PDF, in order: in this process, or in up to `processes` worker processes
    (each holds one part's layout at a time, so memory stays bounded by `processes` parts)."""
    if processes <= 1:
        return (render(html, base_url) for html in htmls)
    return _render_in_processes(htmls, base_url, processes)


def _serve(base_url: str) -> None:
    """The worker's loop: a part in on stdin, its PDF (or the error) out on stdout, until stdin ends."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent, which stops us
    render("<p>字</p>", base_url)  # WeasyPrint, the stylesheet and the fonts loaded before the first part
    stdin = sys.stdin.buffer
    # The frames need stdout to themselves: anything printed (by Python or a C library) goes to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    while True:
        header = _read_exact(stdin, _LENGTH.size)
        if header is None:
            return
        data = _read_exact(stdin, _LENGTH.unpack(header)[0])
        if data is None:
            return
        try:
            kind, payload = _OK, render(data.decode("utf-8"), base_url)
        except Exception:
            kind, payload = _FAILED, traceback.format_exc().encode("utf-8")
        try:
            out.write(kind + _LENGTH.pack(len(payload)) + payload)
            out.flush()
        except BrokenPipeError:  # the parent is gone
            return


# --- joining and numbering ------------------------------------------------------------------


# Pages numbered at a time: each rendering of the numbers costs a fixed ~0.1 s besides ~4 ms a page.
NUMBERS_BATCH = 64


def join_numbered(
    parts: Iterable[bytes], *, numbers: Callable[[int, int], str], base_url: str, metadata: dict[str, str]
) -> bytes:
    """Join the parts' pages into one PDF and number them from 1 across the whole document.

    `numbers(first, count)` is the HTML of `count` empty pages whose footer numbers them from
    `first` on, with the same page size and margins as the parts; each of its pages is laid over
    the page it numbers (pypdf's merge, the content streams compressed again). The pages are
    numbered as they come, NUMBERS_BATCH at a time, while the next parts render."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    numbered = 0
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
        if len(writer.pages) - numbered >= NUMBERS_BATCH:
            numbered = _number_pages(writer, numbered, numbers, base_url)
    _number_pages(writer, numbered, numbers, base_url)
    writer.add_metadata(metadata)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _number_pages(writer, numbered: int, numbers: Callable[[int, int], str], base_url: str) -> int:
    """Lay the numbers over the writer's pages from index `numbered` on; returns how many are numbered."""
    from pypdf import PdfReader

    pages = writer.pages[numbered:]
    if not len(pages):
        return numbered
    stamps = PdfReader(io.BytesIO(render(numbers(numbered + 1, len(pages)), base_url))).pages
    if len(stamps) != len(pages):
        raise RenderError(f"The page numbers came out as {len(stamps)} pages for {len(pages)}.")
    for page, stamp in zip(pages, stamps, strict=True):
        page.merge_page(stamp)
        page.compress_content_streams()
    return numbered + len(pages)


if __name__ == "__main__":
    _serve(sys.argv[1])
