from django.core.management.base import BaseCommand

from jobs.schedules import install_schedules


class Command(BaseCommand):
    help = "Install or update the default beat schedules of the declared jobs (jobs.registry) for celery beat."

    def handle(self, *args, **options):
        counts = install_schedules()
        total = sum(counts.values())
        detail = ", ".join(f"{value} {key.replace('_', ' ')}" for key, value in counts.items())
        self.stdout.write(f"install_schedules: {total} schedules ({detail})")
