"""Identifiers are unique within an organisation, not across all of them."""

import django.db.models.deletion
from django.db import migrations, models


def copy_organisation(apps, schema_editor):
    PatientIdentifier = apps.get_model("patients", "PatientIdentifier")
    Patient = apps.get_model("patients", "Patient")
    PatientIdentifier.objects.update(
        organisation_id=models.Subquery(
            Patient.objects.filter(pk=models.OuterRef("patient_id")).values("organisation_id")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("patients", "0003_complexity_evidence"),
    ]

    operations = [
        migrations.AddField(
            model_name="patientidentifier",
            name="organisation",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.organisation",
            ),
        ),
        migrations.RunPython(copy_organisation, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="patientidentifier",
            name="organisation",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.organisation",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="patientidentifier",
            name="identifier_unique_per_authority",
        ),
        migrations.AddConstraint(
            model_name="patientidentifier",
            constraint=models.UniqueConstraint(
                fields=("organisation", "assigning_authority", "value"),
                name="identifier_unique_per_organisation",
            ),
        ),
    ]
