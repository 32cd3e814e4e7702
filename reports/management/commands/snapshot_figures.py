from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from common.commands import date_option
from reports.periods import month_ends
from reports.services import backfill_snapshots, run_snapshot_job


class Command(BaseCommand):
    help = (
        "Dashboard figures: write the per-division, per-handler counts of a day (default today), "
        "or with --from/--to of every month end in the range (the trend charts' backfill)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="YYYY-MM-DD: one day; default today (Asia/Shanghai).")
        parser.add_argument("--from", dest="start", help="YYYY-MM-DD: first day of a month-end backfill.")
        parser.add_argument("--to", dest="end", help="YYYY-MM-DD: last day of a month-end backfill (default today).")

    def handle(self, *args, **options):
        try:
            if options["start"]:
                start = date_option(options["start"], "--from")
                end = date_option(options["end"], "--to") if options["end"] else timezone.localdate()
                if end < start:
                    raise CommandError("--to must not be before --from")
                result = backfill_snapshots(month_ends(start, end))
                days = ", ".join(d.isoformat() for d in result.days) or "none"
                self.stdout.write(f"snapshot_figures: {len(result.days)} month ends ({days}), {result.rows} rows")
                return
            as_of = date_option(options["as_of"]) if options["as_of"] else timezone.localdate()
            run = run_snapshot_job(as_of, trigger="command", wait=True)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"snapshot_figures {as_of}: {run.outcome}, {run.counts.get('rows', 0)} rows (run #{run.pk})")
