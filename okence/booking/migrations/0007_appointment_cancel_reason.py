"""Why the office cancelled an appointment, kept for the agenda and forgotten with its personal
data.

SQLite adds a NOT NULL column by rebuilding the table, which drops its triggers: the overlap
triggers of 0002 are created again afterwards (PostgreSQL keeps its constraint).
"""

import importlib

from django.db import migrations, models

official_note = importlib.import_module("okence.booking.migrations.0005_appointment_official_note")


class Migration(migrations.Migration):
    dependencies = [("booking", "0006_appointment_moved_at")]

    operations = [
        migrations.AddField(
            model_name="appointment",
            name="cancel_reason",
            field=models.TextField(
                blank=True, max_length=1000, verbose_name="reason for cancelling"
            ),
        ),
        migrations.RunPython(official_note.recreate_sqlite_triggers, migrations.RunPython.noop),
    ]
