"""Recompute every case's statutory time-limit clock (after editing the rule table).

python manage.py recompute_deadlines
"""

from django.core.management.base import BaseCommand

from limits import services as limits_services


class Command(BaseCommand):
    help = "Recompute the time-limit rule, deadline state and deadline of every case."

    def handle(self, *args, **options):
        count = limits_services.recompute_all_clocks()
        self.stdout.write(f"{count} cases recomputed.")
