# JobRun and JobLock are the jobs app's from now on (jobs 0001 takes them over in Django's state,
# jobs 0002 renames their tables and moves their content types). Nothing changes in the database here.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0009_job_publish_bulletin"),
        ("jobs", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="JobLock"),
                migrations.DeleteModel(name="JobRun"),
            ],
            database_operations=[],
        ),
    ]
