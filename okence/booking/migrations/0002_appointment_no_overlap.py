"""No two active appointments of one official may overlap, enforced by the database itself.

PostgreSQL: an exclusion constraint over the official and the time range (btree_gist).
SQLite: triggers that abort an insert or update that would overlap; SQLite runs one writer at a
time, so the check and the write cannot interleave.
"""

from django.db import migrations

ACTIVE = "('held', 'confirmed', 'waiting', 'in_meeting')"

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    f"""ALTER TABLE booking_appointment ADD CONSTRAINT appointment_no_overlap
        EXCLUDE USING gist (official_id WITH =, tstzrange(start, "end", '[)') WITH &&)
        WHERE (status IN {ACTIVE})""",
]
POSTGRES_REVERSE = ["ALTER TABLE booking_appointment DROP CONSTRAINT appointment_no_overlap"]

OVERLAP = f"""EXISTS (SELECT 1 FROM booking_appointment other
    WHERE other.official_id = NEW.official_id AND other.id IS NOT NEW.id
      AND other.status IN {ACTIVE} AND other.start < NEW."end" AND other."end" > NEW.start)"""
SQLITE = [
    f"""CREATE TRIGGER appointment_no_overlap_insert BEFORE INSERT ON booking_appointment
        WHEN NEW.status IN {ACTIVE} AND {OVERLAP}
        BEGIN SELECT RAISE(ABORT, 'appointment_no_overlap'); END""",
    f"""CREATE TRIGGER appointment_no_overlap_update
        BEFORE UPDATE OF status, start, "end", official_id ON booking_appointment
        WHEN NEW.status IN {ACTIVE} AND {OVERLAP}
        BEGIN SELECT RAISE(ABORT, 'appointment_no_overlap'); END""",
]
SQLITE_REVERSE = ["DROP TRIGGER appointment_no_overlap_insert",
                  "DROP TRIGGER appointment_no_overlap_update"]


def run(statements_by_vendor):
    def apply(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("booking", "0001_initial")]

    operations = [
        migrations.RunPython(
            run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
