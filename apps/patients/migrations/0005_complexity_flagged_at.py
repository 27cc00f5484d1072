"""When a patient's complex-needs flag turned on (the last computation, for rows flagged now)."""

from django.db import migrations, models


def from_last_computation(apps, schema_editor):
    PatientComplexity = apps.get_model("patients", "PatientComplexity")
    PatientComplexity.objects.filter(is_complex=True).update(flagged_at=models.F("computed_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0004_identifier_unique_per_organisation"),
    ]

    operations = [
        migrations.AddField(
            model_name="patientcomplexity",
            name="flagged_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(from_last_computation, migrations.RunPython.noop),
    ]
