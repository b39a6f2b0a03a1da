"""When the citizen last moved an appointment to another time.

A nullable column is added in place on SQLite; should a later Django rebuild the table for it,
which drops its triggers, the overlap triggers of 0002 are created again (as in 0005).
"""

import importlib

from django.db import migrations, models

no_overlap = importlib.import_module("okence.booking.migrations.0005_appointment_official_note")


class Migration(migrations.Migration):
    dependencies = [("booking", "0005_appointment_official_note")]

    operations = [
        migrations.AddField(
            model_name="appointment",
            name="moved_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="moved"),
        ),
        migrations.RunPython(no_overlap.recreate_sqlite_triggers, migrations.RunPython.noop),
    ]
