"""The demo organisation's directory and reconciliations, as the seeders build them."""

from apps.core.models import AuditEvent
from apps.demo.seeders.patients import seed_patients
from apps.demo.seeders.people import seed_people
from apps.demo.seeders.referrals import DIRECTORY, seed_referrals
from apps.demo.seeders.transitions import seed_transitions
from apps.referrals.models import ResourceService
from apps.transitions.models import (
    ChecklistItem,
    ChecklistItemCode,
    MedicationClass,
    MedicationLine,
)


def test_the_demo_directory_lists_every_partner_service_with_its_eligibility(db):
    people = seed_people()
    seed_patients(actor=people.admin, teams=people.teams, count=9)
    seed_referrals(people=people)

    offered = {offer.name: offer for _name, _phone, offers in DIRECTORY for offer in offers}
    stored = ResourceService.objects.select_related("resource_organisation")
    assert {service.name for service in stored} == set(offered)
    grants = stored.get(name="Home repair grants")
    assert (grants.service_type, grants.eligibility_notes) == (
        "housing",
        "Homeowners over 60 or with a disability",
    )
    assert grants.resource_organisation.name == "Harbor Housing Partnership"


def test_the_demo_reconciliation_has_a_changed_dose_and_an_omission_to_resolve(db):
    people = seed_people()
    seed_patients(actor=people.admin, teams=people.teams, count=45)
    seed_transitions(people=people)

    lines = {line.name: line for line in MedicationLine.objects.all()}
    metoprolol, furosemide = lines["Metoprolol succinate"], lines["Furosemide"]
    assert (metoprolol.classification, metoprolol.pre_dose, metoprolol.discharge_dose) == (
        MedicationClass.CHANGED,
        "25 mg",
        "50 mg",
    )
    assert (furosemide.classification, furosemide.on_discharge) == (MedicationClass.OMISSION, False)


def test_the_demo_checklist_ticks_go_through_the_service_and_are_audited(db):
    people = seed_people()
    seed_patients(actor=people.admin, teams=people.teams, count=45)
    seed_transitions(people=people)

    ticked = ChecklistItem.objects.filter(code=ChecklistItemCode.SUMMARY_RECEIVED).exclude(
        done_at=None
    )
    assert ticked.exists()
    audited = set(
        AuditEvent.objects.filter(object_type="transitions.checklistitem").values_list(
            "object_id", flat=True
        )
    )
    assert {str(item.pk) for item in ticked} <= audited
