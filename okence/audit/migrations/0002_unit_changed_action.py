from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0001_audit_event'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('signed_in', 'signed in'), ('signed_out', 'signed out'), ('admitted', 'admitted to the meeting'), ('turned_away', 'turned away'), ('ended', 'ended the meeting'), ('cancelled', 'cancelled the appointment'), ('moved', 'moved the appointment'), ('no_show', 'marked as a no-show'), ('note_written', 'wrote a note'), ('file_downloaded', 'downloaded a file'), ('export_downloaded', 'downloaded an export'), ('hours_changed', 'changed working hours'), ('leave_changed', 'changed leave or closures'), ('services_changed', 'changed services'), ('unit_changed', "changed the unit's names"), ('staff_invited', 'invited a member of staff'), ('staff_deactivated', 'deactivated a member of staff'), ('password_reset', 'asked for a password reset'), ('second_factor_changed', 'changed the second factor'), ('calendar_feed_changed', 'changed the calendar feed')], max_length=30, verbose_name='action'),
        ),
    ]
