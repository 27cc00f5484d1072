"""The admin door to transitions: only staff, and only for their own organisation."""

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from apps.core.models import AuditAction, AuditEvent
from apps.transitions.models import Episode, TransitionSettings
from apps.transitions.selectors import transition_settings_for
from tests import factories
from tests.transitions.factories import discharged_home

MISSING_ID = 987_654_321


@pytest.fixture
def staff_elsewhere(db):
    """Staff of another organisation holding every transitions model permission."""
    return factories.make_staff(
        factories.make_organisation(),
        Permission.objects.filter(content_type__app_label="transitions"),
    )


@pytest.fixture
def episode(patient, nurse):
    return discharged_home(patient).episode


@pytest.fixture
def settings_row(organisation):
    return transition_settings_for(organisation)


def episode_state() -> list[Any]:
    return list(Episode.objects.order_by("pk").values_list("pk", "status", "complexity"))


def settings_state() -> list[Any]:
    return list(
        TransitionSettings.objects.order_by("pk").values_list(
            "pk", "organisation_id", "contact_business_days", "weight_summary_missing"
        )
    )


SETTINGS_FORM = {
    "contact_business_days": 9,
    "visit_days_high": 7,
    "visit_days_moderate": 14,
    "default_complexity": "high",
    "due_time": "16:00",
    "readmission_window_days": 30,
    "base_handoff_failure": "0.020",
    "weight_summary_missing": "0.500",
    "weight_reconciliation_missing": "0.150",
    "weight_verification_missing": "0.060",
    "weight_follow_up_not_booked": "0.100",
    "weight_teach_back_missing": "0.080",
    "weight_plan_review_missing": "0.040",
}


@pytest.mark.parametrize(
    "url",
    [
        lambda episode, config: reverse("admin:transitions_episode_changelist"),
        lambda episode, config: reverse("admin:transitions_episode_change", args=[episode.pk]),
        lambda episode, config: reverse("admin:transitions_transitionsettings_changelist"),
        lambda episode, config: reverse(
            "admin:transitions_transitionsettings_change", args=[config.pk]
        ),
    ],
    ids=["episodes", "episode", "settings-list", "settings"],
)
def test_a_non_staff_member_is_sent_to_the_admin_login(
    url, client_for, nurse, episode, settings_row
):
    response = client_for(nurse).get(url(episode, settings_row))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert b"Garcia" not in response.content


def test_a_non_staff_member_cannot_change_the_settings(client_for, nurse, settings_row):
    before = settings_state()
    response = client_for(nurse).post(
        reverse("admin:transitions_transitionsettings_change", args=[settings_row.pk]),
        SETTINGS_FORM,
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert settings_state() == before


def test_staff_of_another_organisation_see_no_episode_of_ours(client_for, staff_elsewhere, episode):
    client = client_for(staff_elsewhere)
    listing = client.get(reverse("admin:transitions_episode_changelist"))
    assert listing.status_code == 200
    assert (
        reverse("admin:transitions_episode_change", args=[episode.pk]).encode()
        not in listing.content
    )
    assert b"Garcia" not in listing.content
    opened = client.get(reverse("admin:transitions_episode_change", args=[episode.pk]))
    missing = client.get(reverse("admin:transitions_episode_change", args=[MISSING_ID]))
    assert (opened.status_code, opened["Location"]) == (missing.status_code, missing["Location"])
    assert opened.status_code == 302
    assert not AuditEvent.objects.filter(
        actor=staff_elsewhere, action=AuditAction.VIEW, object_type="transitions.episode"
    ).exists()


def test_staff_of_another_organisation_cannot_change_or_delete_an_episode(
    client_for, staff_elsewhere, episode
):
    client = client_for(staff_elsewhere)
    before = episode_state()
    client.post(
        reverse("admin:transitions_episode_change", args=[episode.pk]), {"status": "closed"}
    )
    client.post(reverse("admin:transitions_episode_delete", args=[episode.pk]), {"post": "yes"})
    client.post(
        reverse("admin:transitions_episode_changelist"),
        {"action": "delete_selected", "_selected_action": [episode.pk], "post": "yes"},
    )
    assert episode_state() == before


def test_staff_of_another_organisation_cannot_see_or_change_our_settings(
    client_for, staff_elsewhere, settings_row
):
    client = client_for(staff_elsewhere)
    listing = client.get(reverse("admin:transitions_transitionsettings_changelist"))
    assert listing.status_code == 200
    ours = reverse("admin:transitions_transitionsettings_change", args=[settings_row.pk])
    assert ours.encode() not in listing.content
    before = settings_state()
    opened = client.get(ours)
    missing = client.get(reverse("admin:transitions_transitionsettings_change", args=[MISSING_ID]))
    assert opened.status_code == 302
    assert opened["Location"] == missing["Location"]
    changed = client.post(ours, SETTINGS_FORM)
    assert changed.status_code == 302
    assert settings_state() == before
