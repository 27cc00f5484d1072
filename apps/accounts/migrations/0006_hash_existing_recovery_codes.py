"""Recovery codes stored before they were hashed are replaced by their keyed hash.

A plain code is 8 characters (django-otp's random token) and a hash 16 hexadecimal ones, so a
second run changes nothing. The codes people hold keep working; a copy of the database no
longer shows them.
"""

from django.db import migrations

from apps.accounts.mfa import recovery_code_digest


def hash_recovery_codes(apps, schema_editor):
    static_token = apps.get_model("otp_static", "StaticToken")
    plain = static_token.objects.using(schema_editor.connection.alias).exclude(
        token__regex=r"^[0-9a-f]{16}$"
    )
    for row in plain.iterator():
        row.token = recovery_code_digest(row.token)
        row.save(update_fields=["token"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_hash_existing_drf_tokens"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(hash_recovery_codes, migrations.RunPython.noop)]
