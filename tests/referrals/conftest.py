import pytest

from apps.accounts.models import User
from apps.patients.models import Patient
from apps.referrals.models import Referral, ResourceService, ServiceType
from tests.referrals import factories


@pytest.fixture
def food_service(organisation, org_admin: User) -> ResourceService:
    partner = factories.make_partner(organisation, actor=org_admin, name="Riverside Food Bank")
    return factories.make_service(
        organisation,
        actor=org_admin,
        partner=partner,
        name="Weekly food boxes",
        service_type=ServiceType.FOOD,
        area="Riverside, 12345",
        languages="English, Spanish",
        hours="Mon-Fri 9-17",
        eligibility_notes="Household income under 200% FPL",
    )


@pytest.fixture
def cardiology(organisation, org_admin: User) -> ResourceService:
    partner = factories.make_partner(organisation, actor=org_admin, name="General Hospital")
    return factories.make_service(
        organisation,
        actor=org_admin,
        partner=partner,
        name="Cardiology clinic",
        service_type=ServiceType.SPECIALIST,
        languages="English",
    )


@pytest.fixture
def referral(patient: Patient, nurse: User, social_worker: User, food_service) -> Referral:
    """A draft with consent, owned by the social worker, made by the lead nurse."""
    return factories.make_referral(patient, actor=nurse, service=food_service, owner=social_worker)
