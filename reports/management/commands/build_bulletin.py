from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from jobs.models import JobOutcome
from reports.periods import Period
from reports.services import run_bulletin_job


class Command(BaseCommand):
    help = "Monthly bulletin: build (or rebuild) the draft of a month, as of its last day. Default: last month."

    def add_arguments(self, parser):
        parser.add_argument("--period", help="YYYY-MM; default: last month (Asia/Shanghai).")

    def handle(self, *args, **options):
        try:
            period = Period.parse(options["period"]) if options["period"] else Period.last_month(timezone.localdate())
            # An operator waits for a run already in progress rather than skipping.
            run, result = run_bulletin_job(period, trigger="command", wait=True)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        except Exception as exc:
            raise CommandError(f"build_bulletin failed: {exc}") from exc
        if result is None or run.outcome != JobOutcome.SUCCESS:
            self.stdout.write(f"build_bulletin {period}: {run.outcome} (run #{run.pk})")
        else:
            self.stdout.write(f"{result.describe()} (run #{run.pk})")
