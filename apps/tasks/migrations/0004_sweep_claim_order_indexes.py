"""The sweep's partial indexes in its claim order (due_at, id); the new ones first."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0005_complexity_flagged_at"),
        ("tasks", "0003_open_tasks_by_patient_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                condition=models.Q(
                    ("reminded_at__isnull", True),
                    ("status__in", ("requested", "in_progress", "on_hold")),
                ),
                fields=["due_at", "id"],
                name="task_unreminded_due_id_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                condition=models.Q(
                    ("escalated_at__isnull", True),
                    ("status__in", ("requested", "in_progress", "on_hold")),
                ),
                fields=["due_at", "id"],
                name="task_unescalated_due_id_idx",
            ),
        ),
        migrations.RemoveIndex(
            model_name="task",
            name="task_unreminded_due_idx",
        ),
        migrations.RemoveIndex(
            model_name="task",
            name="task_unescalated_due_idx",
        ),
    ]
