"""Seed the statutory time-limit table (DOMAIN.md) and the working-day calendar.

The rows are editable in the admin afterwards; this migration only fills an empty table.
The calendar is filled from the chinesecalendar package; `manage.py load_working_days`
refreshes it when a new release of the package knows a new year.
"""

from django.db import migrations

M, D = "months", "days"
P, HC, HIGH, SPC = "president", "higher_court", "high_court", "supreme_court"

# (name, category, stage, procedure, variant, base, unit, lead days, [(approver, max, unit)])
RULES = [
    ("民事一审普通程序", "civil", "first_instance", "", "", 6, M, 10, [(P, 6, M), (HC, 3, M)]),
    ("民事一审简易程序", "civil", "first_instance", "simple", "", 3, M, 10, [(P, 1, M)]),
    ("民事小额诉讼", "civil", "first_instance", "small_claims", "", 2, M, 10, [(P, 1, M)]),
    ("民事特别程序", "civil", "special", "", "", 30, D, 10, [(P, 30, D)]),
    ("民事二审（判决上诉）", "civil", "second_instance", "", "", 3, M, 10, [(P, 3, M)]),
    ("民事二审（裁定上诉）", "civil", "second_instance", "", "ruling_appeal", 30, D, 10, []),
    ("刑事一审公诉", "criminal", "first_instance", "", "", 2, M, 10, [(P, 1, M), (HC, 3, M), (SPC, None, M)]),
    # 20 days; "up to 1.5 months" in all where the possible sentence exceeds 3 years: +25 days.
    ("刑事简易程序", "criminal", "first_instance", "simple", "", 20, D, 10, [(P, 25, D)]),
    # 10 days; up to 15 days where the possible sentence exceeds 1 year.
    ("刑事速裁程序", "criminal", "first_instance", "fast_track", "", 10, D, 10, [(P, 5, D)]),
    ("刑事自诉（被告人未羁押）", "criminal", "first_instance", "", "private_prosecution", 6, M, 10, [(P, 3, M)]),
    ("刑事二审", "criminal", "second_instance", "", "", 2, M, 10, [(HC, 2, M)]),
    ("行政一审", "administrative", "first_instance", "", "", 6, M, 10, [(HIGH, None, M)]),
    ("行政一审简易程序", "administrative", "first_instance", "simple", "", 45, D, 10, []),
    ("行政二审", "administrative", "second_instance", "", "", 3, M, 10, [(HIGH, None, M)]),
    ("执行", "enforcement", "enforcement", "", "", 6, M, 5, [(P, 3, M), (HIGH, None, M)]),
    ("非诉行政执行审查", "administrative", "non_litigation", "", "", 3, M, 5, [(P, 3, M)]),
]


def seed_rules(apps, schema_editor):
    LimitRule = apps.get_model("cases", "LimitRule")
    ExtensionStep = apps.get_model("cases", "ExtensionStep")
    db = schema_editor.connection.alias  # the database being migrated, not always the default
    if LimitRule.objects.using(db).exists():
        return
    for name, category, stage, procedure, variant, base, unit, lead, steps in RULES:
        rule = LimitRule.objects.using(db).create(
            name=name,
            category=category,
            stage=stage,
            procedure=procedure,
            variant=variant,
            base_length=base,
            base_unit=unit,
            request_lead_days=lead,
        )
        for order, (approver, maximum, step_unit) in enumerate(steps, start=1):
            ExtensionStep.objects.using(db).create(
                rule=rule, order=order, approver=approver, max_length=maximum, unit=step_unit
            )


def fill_calendar(apps, schema_editor):
    from limits.calendar import default_years, source_days

    WorkingDay = apps.get_model("cases", "WorkingDay")
    first, last = default_years()
    WorkingDay.objects.using(schema_editor.connection.alias).bulk_create(
        [
            WorkingDay(day=day, is_working=working, source=source, name=name)
            for day, working, source, name in source_days(first, last)
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_time_limits")]

    operations = [
        migrations.RunPython(seed_rules, migrations.RunPython.noop),
        migrations.RunPython(fill_calendar, migrations.RunPython.noop),
    ]
