from django.db import migrations

ROLES = ["clerk", "handler", "division_head", "vice_president", "president", "tracking_officer", "integration", "admin"]


def create_role_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


# Text search on case number, cause and parties ("search=" in the API, the search box):
# trigram GIN indexes make "ILIKE '%…%'" use an index on PostgreSQL. SQLite has none of this
# and scans, which is fine at the embedded default's size.
TRGM_SQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS case_number_trgm ON cases_case USING gin (case_number gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS case_cause_trgm ON cases_case USING gin (cause gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS case_parties_trgm ON cases_case USING gin (parties gin_trgm_ops)",
]
TRGM_REVERSE = [
    "DROP INDEX IF EXISTS case_number_trgm",
    "DROP INDEX IF EXISTS case_cause_trgm",
    "DROP INDEX IF EXISTS case_parties_trgm",
]


def add_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in TRGM_SQL:
            schema_editor.execute(sql)


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in TRGM_REVERSE:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(create_role_groups, migrations.RunPython.noop),
        migrations.RunPython(add_trigram_indexes, drop_trigram_indexes),
    ]
