"""Follow-up work never goes to a deactivated lead or an interface account."""

from apps.accounts.models import Role
from apps.teams.services import user_deactivate
from apps.transitions.models import OwnerRule
from apps.transitions.selectors import follow_up_owner, verification_owner
from tests import factories


def test_follow_up_owner_skips_a_deactivated_lead_and_fallback(team, nurse, org_admin, patient):
    case_manager = factories.make_member(team, Role.CASE_MANAGER)
    later_nurse = factories.make_member(team, Role.RN_CARE_COORDINATOR)
    assert follow_up_owner(patient=patient) == (nurse, OwnerRule.LEAD)

    user_deactivate(actor=org_admin, user=nurse, reason="Left")
    assert follow_up_owner(patient=patient) == (later_nurse, OwnerRule.FALLBACK)

    user_deactivate(actor=org_admin, user=later_nurse, reason="Left")
    assert follow_up_owner(patient=patient) == (case_manager, OwnerRule.FALLBACK)


def test_verification_owner_is_a_live_pharmacist(team, nurse, pharmacist, org_admin, patient):
    assert verification_owner(patient=patient, performer=nurse) == pharmacist
    user_deactivate(actor=org_admin, user=pharmacist, reason="Left")
    assert verification_owner(patient=patient, performer=nurse) is None
