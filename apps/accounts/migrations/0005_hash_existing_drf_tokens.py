"""Existing DRF tokens (rest_framework.authtoken, stored in plain text) become hashed
ApiTokens with the same secret, so interfaces keep working, expiring after the usual
term; the plain-text rows are then deleted. The authtoken app is no longer installed,
so its table is read with SQL if it is there."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def hash_drf_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("accounts", "ApiToken")
    User = apps.get_model("accounts", "User")
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, user_id FROM authtoken_token")
        rows = cursor.fetchall()
    now = timezone.now()
    for key, user_id in rows:
        user = User.objects.filter(pk=user_id).first()
        if user is None:
            continue
        days = (
            settings.API_TOKEN_INTERFACE_MAX_DAYS if user.is_interface else settings.API_TOKEN_DAYS
        )
        ApiToken.objects.get_or_create(
            key_hash=hashlib.sha256(key.encode()).hexdigest(),
            defaults={
                "user_id": user_id,
                "name": "Token from before hashing",
                "prefix": key[:10],
                "expires_at": now + timedelta(days=days),
            },
        )
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM authtoken_token")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_second_factor_policy_and_hashed_api_tokens")]

    operations = [migrations.RunPython(hash_drf_tokens, migrations.RunPython.noop)]
