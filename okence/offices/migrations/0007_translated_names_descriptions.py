from django.db import migrations, models
from django.db.models import F

# The content so far was Slovenian: it becomes the Slovenian value of each translated field.
TRANSLATED = {"Unit": ("name",), "Service": ("name", "description", "preparation")}


def to_slovenian(apps, schema_editor):
    for model, fields in TRANSLATED.items():
        apps.get_model("offices", model).objects.update(**{f"{f}_sl": F(f) for f in fields})


def from_slovenian(apps, schema_editor):
    for model, fields in TRANSLATED.items():
        apps.get_model("offices", model).objects.update(**{f: F(f"{f}_sl") for f in fields})


class Migration(migrations.Migration):

    dependencies = [
        ('offices', '0006_unit_languages'),
    ]

    operations = [
        migrations.AddField(
            model_name='service',
            name='description_en',
            field=models.TextField(blank=True, null=True, verbose_name='description'),
        ),
        migrations.AddField(
            model_name='service',
            name='description_hu',
            field=models.TextField(blank=True, null=True, verbose_name='description'),
        ),
        migrations.AddField(
            model_name='service',
            name='description_it',
            field=models.TextField(blank=True, null=True, verbose_name='description'),
        ),
        migrations.AddField(
            model_name='service',
            name='description_sl',
            field=models.TextField(blank=True, null=True, verbose_name='description'),
        ),
        migrations.AddField(
            model_name='service',
            name='name_en',
            field=models.CharField(max_length=150, null=True, verbose_name='name'),
        ),
        migrations.AddField(
            model_name='service',
            name='name_hu',
            field=models.CharField(max_length=150, null=True, verbose_name='name'),
        ),
        migrations.AddField(
            model_name='service',
            name='name_it',
            field=models.CharField(max_length=150, null=True, verbose_name='name'),
        ),
        migrations.AddField(
            model_name='service',
            name='name_sl',
            field=models.CharField(max_length=150, null=True, verbose_name='name'),
        ),
        migrations.AddField(
            model_name='service',
            name='preparation_en',
            field=models.TextField(blank=True, null=True, verbose_name='what to prepare'),
        ),
        migrations.AddField(
            model_name='service',
            name='preparation_hu',
            field=models.TextField(blank=True, null=True, verbose_name='what to prepare'),
        ),
        migrations.AddField(
            model_name='service',
            name='preparation_it',
            field=models.TextField(blank=True, null=True, verbose_name='what to prepare'),
        ),
        migrations.AddField(
            model_name='service',
            name='preparation_sl',
            field=models.TextField(blank=True, null=True, verbose_name='what to prepare'),
        ),
        migrations.AddField(
            model_name='unit',
            name='name_en',
            field=models.CharField(max_length=100, null=True, verbose_name='name'),
        ),
        migrations.AddField(
            model_name='unit',
            name='name_hu',
            field=models.CharField(max_length=100, null=True, verbose_name='name'),
        ),
        migrations.AddField(
            model_name='unit',
            name='name_it',
            field=models.CharField(max_length=100, null=True, verbose_name='name'),
        ),
        migrations.AddField(
            model_name='unit',
            name='name_sl',
            field=models.CharField(max_length=100, null=True, verbose_name='name'),
        ),
        migrations.RunPython(to_slovenian, from_slovenian),
        migrations.AlterModelOptions(
            name='unit',
            options={'ordering': ['name_sl'], 'verbose_name': 'administrative unit', 'verbose_name_plural': 'administrative units'},
        ),
    ]
