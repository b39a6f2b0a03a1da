"""Record when a code goes out (or that it never does) and the outbox message that carries it."""

import django.db.models.deletion
from django.db import migrations, models


def codes_so_far_were_sent_when_made(apps, schema_editor):
    VerificationCode = apps.get_model("booking", "VerificationCode")
    VerificationCode.objects.update(sends_at=models.F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0002_appointment_no_overlap"),
        ("outbox", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="verificationcode",
            name="message",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="outbox.email",
            ),
        ),
        migrations.AddField(
            model_name="verificationcode",
            name="sends_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(codes_so_far_were_sent_when_made, migrations.RunPython.noop),
    ]
