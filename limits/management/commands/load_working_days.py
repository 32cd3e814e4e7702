"""Fill or refresh the working-day calendar from the chinesecalendar package.

    python manage.py load_working_days               # the package's years + 10 years ahead
    python manage.py load_working_days --from 2024 --to 2027

Years the package does not know are filled with weekends only and marked provisional;
run again after upgrading the package when the State Council publishes a new year.
Overrides entered in the admin are kept and applied on top. Deadlines that may move are
refreshed afterwards.
"""

from django.core.management.base import BaseCommand, CommandError

from limits import calendar
from limits import services as limits_services


class Command(BaseCommand):
    help = "Fill or refresh the working-day calendar (official holidays and make-up working days)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", type=int, help="first year")
        parser.add_argument("--to", dest="last", type=int, help="last year")

    def handle(self, *args, first=None, last=None, **options):
        default_first, default_last = calendar.default_years()
        first = first or default_first
        last = last or default_last
        if first > last:
            raise CommandError("--from must not be after --to")
        written = calendar.load_working_days(first, last)
        known_first, known_last = calendar.official_years()
        refreshed = limits_services.refresh_all_deadlines()
        self.stdout.write(
            f"{written} days written for {first}–{last} "
            f"(official {max(first, known_first)}–{min(last, known_last)}, the rest provisional); "
            f"{refreshed} deadlines refreshed."
        )
