from django.db import migrations

# Indexes for the API's and the pages' case lists, which are ordered by filing date (newest
# first, id as tie-break) and filtered by division or handler, and for the export's keyset
# over (updated_at, id). Without them "division=X ORDER BY filed_on DESC LIMIT 50" sorts a
# whole division (100,000 rows at the 1M-case benchmark: ~0.5 s); with them it reads 50 index
# entries. Plain SQL, like the trigram indexes in 0002: the model state is unchanged.
INDEXES = {
    "case_division_filed_id": "(division_id, filed_on, id)",
    "case_handler_filed_id": "(handler_id, filed_on, id)",
    "case_filed_id": "(filed_on, id)",
    "case_updated_id": "(updated_at, id)",
}


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_time_limit_db_defaults")]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON cases_case {columns}",
            f"DROP INDEX IF EXISTS {name}",
        )
        for name, columns in INDEXES.items()
    ]
