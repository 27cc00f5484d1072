"""Care-plan goals and interventions accept only an owner who may own work on the team."""

import pytest

from apps.careplans.models import Intervention
from apps.core.exceptions import ApplicationError
from apps.teams.services import user_deactivate
from tests.careplans.factories import make_goal, make_intervention, make_plan


def test_intervention_and_goal_refuse_a_deactivated_owner(patient, nurse, chw, org_admin):
    plan = make_plan(patient, nurse)
    goal = make_goal(plan, nurse)
    user_deactivate(actor=org_admin, user=chw, reason="Left")
    with pytest.raises(ApplicationError) as intervention_refusal:
        make_intervention(goal, nurse, owner=chw)
    with pytest.raises(ApplicationError) as goal_refusal:
        make_goal(plan, nurse, owner=chw)
    assert "owner" in intervention_refusal.value.field_errors
    assert "owner" in goal_refusal.value.field_errors
    assert not Intervention.objects.exists()
