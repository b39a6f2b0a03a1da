"""The official's private note on an appointment (a case reference), forgotten with its personal
data.

SQLite adds a NOT NULL column by rebuilding the table, which drops its triggers: the overlap
triggers of 0002 are created again afterwards (PostgreSQL keeps its constraint).
"""

import importlib

from django.db import migrations, models

no_overlap = importlib.import_module("okence.booking.migrations.0002_appointment_no_overlap")


def recreate_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in ("appointment_no_overlap_insert", "appointment_no_overlap_update"):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
    for statement in no_overlap.SQLITE:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("booking", "0004_appointment_reminders")]

    operations = [
        migrations.AddField(
            model_name="appointment",
            name="official_note",
            field=models.TextField(blank=True, max_length=2000, verbose_name="official's note"),
        ),
        migrations.RunPython(recreate_sqlite_triggers, migrations.RunPython.noop),
    ]
