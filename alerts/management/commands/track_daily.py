from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from alerts.jobs import run_track_daily
from common.commands import date_option

from ._common import one_line


class Command(BaseCommand):
    help = "Daily tracking: raise, resolve and escalate alerts for a date (default today) and notify."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="YYYY-MM-DD; default: today (Asia/Shanghai).")

    def handle(self, *args, **options):
        as_of = date_option(options["as_of"])
        try:
            # An operator waits for a run already in progress rather than skipping.
            run = run_track_daily(as_of, trigger="command", wait=True)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        except Exception as exc:
            raise CommandError(f"track_daily failed: {exc}") from exc
        self.stdout.write(one_line("track_daily", run))
