"""Plans due for review: the team filter is the one every list uses, refused alike."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize("value", ["abc", "other-team"])
def test_due_for_review_refuses_a_team_that_is_not_the_users(api_for, nurse, other_team, value):
    team_id = str(other_team.pk) if value == "other-team" else value
    response = api_for(nurse).get(reverse("api-careplan-due-for-review"), {"team_id": team_id})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["team_id"]


def test_due_for_review_accepts_the_users_own_team(api_for, nurse, team):
    response = api_for(nurse).get(reverse("api-careplan-due-for-review"), {"team_id": team.pk})
    assert response.status_code == 200
