import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError

from cases import demo
from cases.roles import Role


class Command(BaseCommand):
    help = "Build a realistic demo court: divisions, 30–60 staff in every role, and N cases."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=30_000, help="How many cases (default 30,000).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed; the same seed gives the same court.")
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            default=None,
            help="Build as if today were YYYY-MM-DD (default: today in Asia/Shanghai).",
        )
        parser.add_argument("--reset", action="store_true", help="Delete existing cases, staff and courts first.")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when a court already exists.")

    def handle(self, *args, cases, seed, today, reset, if_empty, **options):
        if cases < 0:
            raise CommandError("--cases must be 0 or more.")
        if reset:
            demo.reset()
        elif if_empty and demo.Court.objects.exists():
            self.stdout.write("seed_demo: the database already holds a court; nothing to do.")
            return
        started = time.monotonic()
        try:
            result = demo.seed(cases, seed, today, progress=lambda n: self.stderr.write(f"  {n:,} cases written…"))
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.monotonic() - started
        self.stdout.write(f"seed_demo: {result.cases:,} cases for {result.court} in {elapsed:.1f} s.")
        self.stdout.write(f"Demo logins (password: {demo.DEMO_PASSWORD}):")
        for role in [
            Role.CLERK,
            Role.HANDLER,
            Role.DIVISION_HEAD,
            Role.VICE_PRESIDENT,
            Role.PRESIDENT,
            Role.TRACKING_OFFICER,
            Role.INTEGRATION,
            Role.ADMIN,
        ]:
            user = result.users[role]
            self.stdout.write(f"  {role:<17} {user.username:<24} {user.name}")
