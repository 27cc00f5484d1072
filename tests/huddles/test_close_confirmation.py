"""Closing a huddle with items not reached asks first, then carries them to the next one."""

from datetime import timedelta

import pytest
from django.urls import reverse

from apps.core.exceptions import ConflictError
from apps.huddles import services
from apps.huddles.models import AgendaItem, HuddleStatus, ItemStatus
from tests.huddles.factories import make_task, open_huddle

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def running(team, nurse, pcp, patient):
    make_task(patient, pcp, due_in=-timedelta(days=2), title="Review the labs")
    huddle = open_huddle(team, nurse)
    services.huddle_attendance_set(actor=nurse, huddle=huddle, user_id=nurse.pk, present=True)
    return huddle, AgendaItem.objects.get(huddle=huddle)


def test_closing_with_an_item_not_reached_asks_to_confirm_and_leaves_the_huddle_open(
    client_for, nurse, running, patient
):
    huddle, item = running
    response = client_for(nurse).post(reverse("huddles:close", args=[huddle.pk]), **HX)

    assert response.status_code == 200
    page = response.content.decode()
    assert "1 item not reached" in page
    assert item.title in page
    assert 'name="carry_over" value="yes"' in page
    huddle.refresh_from_db()
    assert huddle.status == HuddleStatus.OPEN


def test_confirming_the_close_carries_the_item_not_reached_to_the_next_huddle(
    client_for, team, nurse, running
):
    huddle, item = running
    client = client_for(nurse)
    response = client.post(reverse("huddles:close", args=[huddle.pk]), {"carry_over": "yes"}, **HX)

    assert response["HX-Redirect"] == reverse("huddles:minutes", args=[huddle.pk])
    huddle.refresh_from_db()
    assert huddle.status == HuddleStatus.CLOSED
    following = open_huddle(team, nurse)
    carried = AgendaItem.objects.get(huddle=following, key=item.key)
    assert carried.carried_from_id == item.pk
    assert carried.status == ItemStatus.PENDING


def test_closing_with_every_item_reached_closes_without_asking(client_for, nurse, running):
    huddle, item = running
    client = client_for(nurse)
    services.huddle_item_discuss(actor=nurse, item=item, decision="Chase the lab")

    response = client.post(reverse("huddles:close", args=[huddle.pk]), **HX)

    assert response["HX-Redirect"] == reverse("huddles:minutes", args=[huddle.pk])


def test_the_close_confirmation_without_htmx_is_a_page_of_its_own(client_for, nurse, running):
    huddle, _ = running
    response = client_for(nurse).post(reverse("huddles:close", args=[huddle.pk]))
    assert response.status_code == 200
    assert "<h1>Close the huddle" in response.content.decode()


def test_the_api_refuses_to_close_over_items_not_reached_until_told_they_carry_over(
    api_for, nurse, running
):
    """The page's confirmation, on the API: no door moves a discussion to another day
    without someone saying so."""
    huddle, item = running
    url = f"/api/v1/huddles/{huddle.pk}/close/"

    refused = api_for(nurse).post(url, {}, format="json")

    assert refused.status_code == 409
    assert "1 agenda item(s) were not reached" in refused.json()["detail"]
    assert "carry_over" in refused.json()["errors"]
    huddle.refresh_from_db()
    assert huddle.status == HuddleStatus.OPEN

    closed = api_for(nurse).post(url, {"carry_over": True}, format="json")

    assert closed.status_code == 200
    assert closed.json()["huddle"]["status"] == "closed"
    item.refresh_from_db()
    assert item.status == ItemStatus.PENDING  # waiting for the team's next huddle


def test_the_service_refuses_to_close_over_items_not_reached_without_carry_over(nurse, running):
    huddle, _item = running

    with pytest.raises(ConflictError):
        services.huddle_close(actor=nurse, huddle=huddle, carry_over=False)

    huddle.refresh_from_db()
    assert huddle.status == HuddleStatus.OPEN
