# The tables of JobRun and JobLock take the jobs app's names (alerts_jobrun → jobs_jobrun,
# alerts_joblock → jobs_joblock: ALTER TABLE … RENAME, the rows stay where they are), and their
# content types move with them, so that the admin's log entries and the permissions granted on them
# (ids unchanged) keep pointing at them. Both are undone on the way back.

from django.db import migrations

MODELS = ("jobrun", "joblock")


def _move(apps, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        moving = ContentType.objects.filter(app_label=source, model=model).first()
        if moving is None:
            continue  # a fresh database: the content types are created after migrate, already right
        # A row already made for the target (by a `migrate` run with the models in both apps) has
        # nothing of its own worth keeping: the moving row carries the permissions and log entries.
        ContentType.objects.filter(app_label=target, model=model).delete()
        moving.app_label = target
        moving.save(update_fields=["app_label"])


def forwards(apps, schema_editor):
    _move(apps, "alerts", "jobs")


def backwards(apps, schema_editor):
    _move(apps, "jobs", "alerts")


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_initial"),
        ("alerts", "0010_jobs_move_to_the_jobs_app"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelTable(name="jobrun", table=None),
        migrations.AlterModelTable(name="joblock", table=None),
        migrations.RunPython(forwards, backwards),
    ]
