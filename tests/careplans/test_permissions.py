import pytest

from apps.accounts.models import Role
from apps.careplans.permissions import can_sign_care_plan, care_plan_rights
from tests import factories


@pytest.mark.parametrize(
    ("member", "edit_plan", "domains", "sign"),
    [
        ("nurse", True, {"medical", "behavioral", "functional"}, False),
        ("pcp", False, set(), True),
        ("social_worker", True, {"social"}, False),
        ("chw", False, set(), False),
        ("pharmacist", False, set(), False),
        ("specialist", False, set(), False),
        ("outsider", False, set(), False),
    ],
)
def test_plan_rights_follow_the_role_on_the_patients_team(
    request, patient, member, edit_plan, domains, sign
):
    rights = care_plan_rights(request.getfixturevalue(member), patient)
    assert rights.edit_plan is edit_plan
    assert set(rights.goal_domains) == domains
    assert rights.sign is sign


def test_the_behavioral_health_clinician_edits_behavioral_goals_only(team, patient):
    clinician = factories.make_member(team, Role.BEHAVIORAL_HEALTH, username="bh")
    rights = care_plan_rights(clinician, patient)
    assert rights.edit_plan
    assert set(rights.goal_domains) == {"behavioral"}
    assert not rights.sign


def test_a_pcp_on_another_team_cannot_sign_this_patients_plan(patient, other_team):
    other_pcp = factories.make_member(other_team, Role.PCP, username="pcp2")
    assert not can_sign_care_plan(other_pcp, patient)
