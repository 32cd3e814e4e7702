# JobRun and JobLock move here from the alerts app. Their tables are alerts_jobrun and
# alerts_joblock until 0002 renames them: this migration only tells Django's state that the models
# are the jobs app's (alerts 0010 removes them from alerts' state). No table is created or dropped.

import django.db.models
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        # The tables as alerts left them (JobRun.job's choices last changed in 0009).
        ("alerts", "0009_job_publish_bulletin"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="JobLock",
                    fields=[
                        ("name", models.CharField(max_length=60, primary_key=True, serialize=False, verbose_name="name")),
                        ("holder", models.CharField(blank=True, max_length=64, verbose_name="holder")),
                        ("expires_at", models.DateTimeField(blank=True, null=True, verbose_name="expires at")),
                    ],
                    options={
                        "verbose_name": "job lock",
                        "verbose_name_plural": "job locks",
                        "db_table": "alerts_joblock",
                    },
                ),
                migrations.CreateModel(
                    name="JobRun",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        (
                            "job",
                            models.CharField(
                                help_text="Which job ran, by its code (track_daily, build_bulletin …).",
                                max_length=30,
                                verbose_name="job",
                            ),
                        ),
                        (
                            "as_of",
                            models.DateField(
                                help_text="The date the job ran for (a Monday, a month's last day …).", verbose_name="as of"
                            ),
                        ),
                        ("started_at", models.DateTimeField(verbose_name="started")),
                        ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="finished")),
                        (
                            "outcome",
                            models.CharField(
                                choices=[
                                    ("running", "Running"),
                                    ("success", "Success"),
                                    ("failed", "Failed"),
                                    ("skipped", "Skipped (another run held the lock)"),
                                    ("waiting", "Waiting for the queue (broker unavailable)"),
                                    ("resent", "Sent to the queue after waiting"),
                                ],
                                default="running",
                                max_length=12,
                                verbose_name="outcome",
                            ),
                        ),
                        (
                            "counts",
                            models.JSONField(
                                blank=True, default=dict, help_text="What the run did, in numbers.", verbose_name="counts"
                            ),
                        ),
                        ("error", models.TextField(blank=True, verbose_name="error")),
                        (
                            "trigger",
                            models.CharField(
                                blank=True,
                                help_text="beat, command, or the task id that ran it.",
                                max_length=40,
                                verbose_name="started by",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "job run",
                        "verbose_name_plural": "job runs",
                        "ordering": ["-started_at", "-id"],
                        "db_table": "alerts_jobrun",
                        "indexes": [models.Index(fields=["job", "as_of", "outcome"], name="jobrun_job_asof")],
                        "constraints": [
                            models.CheckConstraint(
                                condition=django.db.models.Q(
                                    ("outcome", "running"), ("finished_at__isnull", False), _connector="OR"
                                ),
                                name="jobrun_finished_has_time",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
