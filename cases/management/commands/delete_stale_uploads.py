import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from cases.import_uploads import delete_stale_uploads, max_age


class Command(BaseCommand):
    help = "Delete import uploads (previews never imported or cancelled) older than IMPORT_UPLOAD_MAX_AGE_HOURS."

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, help="Age in hours; default: IMPORT_UPLOAD_MAX_AGE_HOURS (24).")

    def handle(self, *args, **options):
        hours = options["hours"]
        if hours is not None and hours < 1:
            raise CommandError("--hours must be 1 or more.")
        older_than = dt.timedelta(hours=hours) if hours is not None else max_age()
        deleted = delete_stale_uploads(older_than)
        hours = older_than.total_seconds() / 3600
        self.stdout.write(f"delete_stale_uploads: deleted {deleted} import uploads older than {hours:g} hours.")
