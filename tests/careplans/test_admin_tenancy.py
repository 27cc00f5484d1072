"""Care-plan settings and pathways in the admin: an admin sees and changes only their own
organisation's rows (a superuser every one's), and each save is audited."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from apps.accounts.models import Organisation, User
from apps.careplans.models import Pathway
from apps.careplans.services import care_plan_settings_get
from apps.core.models import AuditAction, AuditEvent
from tests import factories


def _staff(organisation: Organisation, username: str) -> User:
    return factories.make_staff(
        organisation,
        Permission.objects.filter(content_type__app_label="careplans"),
        username=username,
    )


@pytest.fixture
def own_staff(organisation: Organisation) -> User:
    return _staff(organisation, "ownstaff")


@pytest.fixture
def elsewhere(db: None) -> Organisation:
    return factories.make_organisation("Elsewhere Health")


@pytest.fixture
def stranger(elsewhere: Organisation) -> User:
    return _staff(elsewhere, "stranger")


@pytest.fixture
def pathway(organisation: Organisation) -> Pathway:
    return Pathway.objects.create(organisation=organisation, code="HF", name="Heart failure")


def _pathway_data(**values: object) -> dict[str, object]:
    return {"code": "HF", "name": "Heart failure", "url": "", "is_active": "on", **values}


def test_another_organisations_staff_see_none_of_our_pathways(client_for, stranger, pathway):
    response = client_for(stranger).get(reverse("admin:careplans_pathway_changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []
    assert "Heart failure" not in response.content.decode()


def test_another_organisations_staff_cannot_open_or_change_our_pathway(
    client_for, stranger, pathway
):
    client = client_for(stranger)
    url = reverse("admin:careplans_pathway_change", args=[pathway.pk])
    assert client.get(url).status_code == 302
    response = client.post(url, _pathway_data(name="Renamed", is_active=""))
    assert response.status_code == 302
    pathway.refresh_from_db()
    assert (pathway.name, pathway.is_active) == ("Heart failure", True)
    assert not AuditEvent.objects.filter(actor=stranger).exclude(action=AuditAction.LIST).exists()


def test_staff_change_their_pathway_and_the_change_is_audited(client_for, own_staff, pathway):
    url = reverse("admin:careplans_pathway_change", args=[pathway.pk])
    response = client_for(own_staff).post(url, _pathway_data(name="Heart failure v2"))
    assert response.status_code == 302
    pathway.refresh_from_db()
    assert pathway.name == "Heart failure v2"
    event = AuditEvent.objects.get(actor=own_staff, object_type="careplans.pathway")
    assert (event.action, event.object_id, event.detail["fields"]) == (
        AuditAction.UPDATE,
        str(pathway.pk),
        ["name"],
    )


def test_a_pathway_added_by_staff_belongs_to_their_organisation(
    client_for, stranger, elsewhere, pathway
):
    response = client_for(stranger).post(
        reverse("admin:careplans_pathway_add"), _pathway_data(organisation=pathway.organisation_id)
    )
    assert response.status_code == 302
    added = Pathway.objects.exclude(pk=pathway.pk).get()
    assert added.organisation == elsewhere
    assert AuditEvent.objects.filter(
        actor=stranger, action=AuditAction.CREATE, object_id=str(added.pk)
    ).exists()


def test_a_duplicate_pathway_code_is_a_form_error_not_a_crash(client_for, own_staff, pathway):
    response = client_for(own_staff).post(reverse("admin:careplans_pathway_add"), _pathway_data())
    assert response.status_code == 200
    assert "already has a pathway with this code" in response.content.decode()
    assert Pathway.objects.count() == 1


def test_another_organisations_staff_cannot_see_or_change_our_settings(
    client_for, stranger, organisation
):
    settings_row = care_plan_settings_get(organisation=organisation)
    client = client_for(stranger)
    listed = client.get(reverse("admin:careplans_careplansettings_changelist"))
    assert [row.organisation_id for row in listed.context["cl"].result_list] == [
        stranger.organisation_id
    ]
    url = reverse("admin:careplans_careplansettings_change", args=[settings_row.pk])
    assert client.get(url).status_code == 302
    response = client.post(url, {"unsigned_days": 1, "review_interval_days": 1})
    assert response.status_code == 302
    settings_row.refresh_from_db()
    assert (settings_row.unsigned_days, settings_row.review_interval_days) == (14, 90)


def test_staff_change_their_settings_and_the_change_is_audited(client_for, own_staff, organisation):
    settings_row = care_plan_settings_get(organisation=organisation)
    url = reverse("admin:careplans_careplansettings_change", args=[settings_row.pk])
    response = client_for(own_staff).post(
        url,
        {
            "unsigned_days": 7,
            "review_interval_days": 90,
            "patient_phone": "555-0100",
            "after_hours_advice": settings_row.after_hours_advice,
        },
    )
    assert response.status_code == 302
    settings_row.refresh_from_db()
    assert (settings_row.unsigned_days, settings_row.patient_phone) == (7, "555-0100")
    event = AuditEvent.objects.get(actor=own_staff, object_type="careplans.careplansettings")
    assert event.action == AuditAction.UPDATE
    assert event.detail["fields"] == ["patient_phone", "unsigned_days"]


def test_zero_days_is_a_form_error_and_nothing_changes(client_for, own_staff, organisation):
    settings_row = care_plan_settings_get(organisation=organisation)
    url = reverse("admin:careplans_careplansettings_change", args=[settings_row.pk])
    response = client_for(own_staff).post(url, {"unsigned_days": 0, "review_interval_days": 90})
    assert response.status_code == 200
    settings_row.refresh_from_db()
    assert settings_row.unsigned_days == 14


def test_a_superuser_sees_every_organisations_pathways(client_for, org_admin, elsewhere, pathway):
    theirs = Pathway.objects.create(organisation=elsewhere, code="COPD", name="COPD")
    response = client_for(org_admin).get(reverse("admin:careplans_pathway_changelist"))
    assert set(response.context["cl"].result_list) == {pathway, theirs}
