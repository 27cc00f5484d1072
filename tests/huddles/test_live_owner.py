"""Huddle decisions and attendance follow the one rule for who may own work."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.exceptions import ApplicationError
from apps.huddles import services
from apps.huddles.models import AgendaItem, HuddleAttendance
from apps.tasks.models import Task, TaskSource
from apps.teams.services import user_deactivate
from tests.huddles.factories import make_task, open_huddle


def test_huddle_decision_refuses_a_deactivated_owner_and_attendance_leaves_them_out(
    team, nurse, pcp, chw, org_admin, patient
):
    make_task(patient, pcp, due_in=-timedelta(days=1))
    user_deactivate(actor=org_admin, user=chw, reason="Left")
    huddle = open_huddle(team, nurse)
    item = AgendaItem.objects.get(huddle=huddle)
    with pytest.raises(ApplicationError) as error:
        services.huddle_item_task_create(
            actor=nurse, item=item, title="Call", owner=chw, due_at=timezone.now() + timedelta(1)
        )
    assert "owner" in error.value.field_errors
    assert not Task.objects.filter(source_type=TaskSource.HUDDLE).exists()
    attending = set(HuddleAttendance.objects.filter(huddle=huddle).values_list("user", flat=True))
    assert chw.pk not in attending
    assert {nurse.pk, pcp.pk} <= attending
