"""The handoff checklist as the episode page shows it."""

from datetime import timedelta

from apps.transitions.models import ChecklistItem, ChecklistItemCode
from apps.transitions.services import checklist_item_set
from tests.transitions.factories import discharged_home


def _follow_up_item(handoff) -> ChecklistItem:
    return ChecklistItem.objects.get(handoff=handoff, code=ChecklistItemCode.FOLLOW_UP_BOOKED)


def test_a_follow_up_booked_after_the_patient_left_is_marked_as_such(client_for, patient, nurse):
    handoff = discharged_home(patient)
    item = checklist_item_set(
        actor=nurse, item=_follow_up_item(handoff), done=True, note="Booked by phone"
    )

    body = client_for(nurse).get(f"/transitions/episodes/{handoff.episode_id}/").content.decode()

    assert item.booked_after_discharge
    assert "Booked by phone" in body
    assert "after discharge" in body


def test_a_follow_up_booked_before_the_discharge_is_plainly_done(client_for, patient, nurse):
    handoff = discharged_home(patient)
    item = checklist_item_set(
        actor=nurse,
        item=_follow_up_item(handoff),
        done=True,
        done_at=handoff.occurred_at - timedelta(hours=2),
        note="Booked on the ward",
    )

    body = client_for(nurse).get(f"/transitions/episodes/{handoff.episode_id}/").content.decode()

    assert not item.booked_after_discharge
    assert "Booked on the ward" in body
    assert "after discharge" not in body
