"""In real Chromium: closing a huddle with items not reached asks first."""

from datetime import timedelta

import pytest

from apps.huddles import services
from apps.huddles.models import AgendaItem, HuddleStatus
from tests import factories
from tests.browser import login
from tests.huddles.factories import make_task, open_huddle


@pytest.mark.browser
def test_closing_a_huddle_with_an_item_not_reached_asks_then_carries_it_over(
    browser_page, live_server, team, nurse, pcp, patient
):
    make_task(patient, pcp, due_in=-timedelta(days=2), title="Review the labs")
    huddle = open_huddle(team, nurse)
    services.huddle_attendance_set(actor=nurse, huddle=huddle, user_id=nurse.pk, present=True)
    item = AgendaItem.objects.get(huddle=huddle)
    page = browser_page
    login(page, live_server, "nurse", factories.PASSWORD)
    page.goto(f"{live_server.url}/huddles/{huddle.pk}/")

    page.click("#close-huddle")

    dialog = page.get_by_role("alertdialog", name="1 item not reached")
    dialog.wait_for()
    assert item.title in dialog.inner_text()
    huddle.refresh_from_db()
    assert huddle.status == HuddleStatus.OPEN
    dialog.get_by_role("button", name="Close and carry 1 to the next huddle").click()
    page.wait_for_url(f"{live_server.url}/huddles/{huddle.pk}/minutes/")
    huddle.refresh_from_db()
    assert huddle.status == HuddleStatus.CLOSED
    following = open_huddle(team, nurse)
    assert AgendaItem.objects.get(huddle=following, key=item.key).carried_from_id == item.pk
