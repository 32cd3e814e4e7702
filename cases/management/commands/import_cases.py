"""Import cases from a CSV or XLSX file: the same upsert as the bulk API and the import page."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cases import imports
from cases.models import User


class Command(BaseCommand):
    help = (
        "Create or update cases from a CSV or XLSX file whose first row names the columns in Chinese or English "
        "(案号/case_number, 立案日期/filed_on, 承办部门/division, 承办人/handler, …). Rows are matched by external id, "
        "else by case number; rows with errors are reported and skipped. A file of more rows than --max-rows "
        f"is refused whole; the rows are upserted in batches of {imports.MAX_ROWS:,}."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of the .csv or .xlsx file.")
        parser.add_argument("--dry-run", action="store_true", help="Check every row and report, but save nothing.")
        parser.add_argument("--user", default=None, help="Username recorded as the actor of the events (optional).")
        parser.add_argument(
            "--max-rows",
            type=int,
            default=imports.FILE_MAX_ROWS,
            help=f"Refuse a file of more rows than this (default {imports.FILE_MAX_ROWS:,}); an XLSX file may "
            f"unpack to {imports.BYTES_PER_ROW // 1024} KB a row.",
        )

    def handle(self, *args, file, dry_run, user, max_rows, **options):
        if max_rows < 1:
            raise CommandError("--max-rows must be 1 or more.")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        actor = None
        if user:
            actor = User.objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"Unknown user: {user}")
        try:
            with path.open("rb") as handle:
                rows = imports.read_file(handle, path.name, max_rows=max_rows)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        totals = {"created": 0, "updated": 0, "unchanged": 0, "error": 0}
        size = imports.MAX_ROWS
        for start in range(0, len(rows), size):
            report = imports.upsert_cases(
                actor,
                rows[start : start + size],
                source=imports.Source.FILE,
                dry_run=dry_run,
                enforce_permissions=False,
            )
            for result in report.results:
                totals[result.result] += 1
                if result.result == "error":
                    # Row numbers as in the spreadsheet: the header is row 1.
                    messages = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in result.errors.items())
                    self.stderr.write(f"row {start + result.index + 2} {result.case_number or ''}: {messages}")
        prefix = "dry run, nothing saved: " if dry_run else ""
        self.stdout.write(
            f"{prefix}{totals['created']} created, {totals['updated']} updated, "
            f"{totals['unchanged']} unchanged, {totals['error']} with errors."
        )
        if totals["error"]:
            raise CommandError(f"{totals['error']} rows had errors (see above).", returncode=2)
