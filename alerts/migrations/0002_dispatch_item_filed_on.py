import datetime

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="dispatchitem",
            options={
                "ordering": ["dispatch_list", "filed_on", "id"],
                "verbose_name": "dispatch item",
                "verbose_name_plural": "dispatch items",
            },
        ),
        migrations.RemoveField(model_name="dispatchitem", name="age_days"),
        migrations.AddField(
            model_name="dispatchitem",
            name="filed_on",
            field=models.DateField(
                default=datetime.date(2000, 1, 1),
                help_text="The filing date when the list was built; the age on the list is measured from it.",
                verbose_name="filing date",
            ),
            preserve_default=False,
        ),
    ]
