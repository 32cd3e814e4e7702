from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from alerts.jobs import run_dispatch_weekly
from common.commands import date_option

from ._common import one_line


class Command(BaseCommand):
    help = (
        "Weekly dispatch: build each division's list as of a Monday (default this week's) for the week "
        "before, and any missed weeks, with urging notices to the handlers."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="A Monday, YYYY-MM-DD; default: this week's Monday.")

    def handle(self, *args, **options):
        as_of = date_option(options["as_of"])
        try:
            run = run_dispatch_weekly(as_of, trigger="command", wait=True)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        except Exception as exc:
            raise CommandError(f"dispatch_weekly failed: {exc}") from exc
        self.stdout.write(one_line("dispatch_weekly", run))
