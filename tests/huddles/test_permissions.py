"""Role matrix for the huddle pages: anonymous, non-member, member without the right, with it.

Denied requests leak no patient data and change nothing.
"""

from datetime import timedelta

import pytest
from django.urls import reverse

from apps.huddles.models import AgendaItem, Huddle, HuddleAttendance, HuddleStatus
from apps.tasks.models import Task, TaskSource
from tests.huddles.factories import make_task, open_huddle, run_and_close

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def running(team, nurse, pcp, patient):
    make_task(patient, pcp, due_in=-timedelta(days=2), title="Review the labs")
    huddle = open_huddle(team, nurse)
    return huddle, AgendaItem.objects.get(huddle=huddle)


def _client(request, who):
    if who == "anonymous":
        from django.test import Client

        return Client()
    return request.getfixturevalue("client_for")(request.getfixturevalue(who))


def _state(huddle, item):
    item.refresh_from_db()
    huddle.refresh_from_db()
    return (
        huddle.status,
        item.status,
        item.decision,
        AgendaItem.objects.count(),
        Task.objects.filter(source_type=TaskSource.HUDDLE).count(),
        HuddleAttendance.objects.filter(present=True).count(),
    )


READS = ["detail", "minutes", "preview", "clock"]


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 302), ("outsider", 404), ("pcp", 200), ("chw", 200), ("nurse", 200)],
)
@pytest.mark.parametrize("page", READS)
def test_reading_a_huddle_role_matrix(request, running, patient, who, expected, page):
    huddle, _ = running
    response = _client(request, who).get(reverse(f"huddles:{page}", args=[huddle.pk]))
    assert response.status_code == expected
    if expected != 200:
        assert patient.family_name not in response.content.decode()


@pytest.mark.parametrize(
    ("who", "expected"), [("anonymous", 302), ("outsider", 200), ("nurse", 200)]
)
def test_huddle_list_shows_only_the_users_teams(request, running, who, expected):
    huddle, _ = running
    response = _client(request, who).get(reverse("huddles:list"))
    assert response.status_code == expected
    assert (huddle.title in response.content.decode()) == (who == "nurse")


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 302), ("outsider", 404), ("pcp", 403), ("chw", 403), ("nurse", 200)],
)
@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("item_discuss", {"decision": "Decided"}),
        ("item_decision", {"decision": "Decided"}),
        ("item_skip", {"reason": "Not today"}),
        ("item_task_create", {"title": "T", "owner": "OWNER", "due": "1bd", "token": "k"}),
    ],
)
def test_item_actions_role_matrix(request, running, patient, pcp, who, expected, action, data):
    huddle, item = running
    data = {key: (pcp.pk if value == "OWNER" else value) for key, value in data.items()}
    before = _state(huddle, item)
    response = _client(request, who).post(
        reverse(f"huddles:{action}", args=[huddle.pk, item.pk]), data, **HX
    )
    assert response.status_code == expected
    if expected == 200:
        assert _state(huddle, item) != before
    else:
        assert _state(huddle, item) == before
        assert patient.family_name not in response.content.decode()


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 302), ("outsider", 404), ("pcp", 403), ("nurse", 200)],
)
def test_attendance_and_close_role_matrix(request, running, nurse, who, expected):
    huddle, item = running
    before = _state(huddle, item)
    client = _client(request, who)
    response = client.post(
        reverse("huddles:attendance", args=[huddle.pk, nurse.pk]), {"present": "1"}, **HX
    )
    assert response.status_code == expected
    # Confirmed: the pending item carries over (an unconfirmed close only asks).
    closing = client.post(reverse("huddles:close", args=[huddle.pk]), {"carry_over": "yes"}, **HX)
    if expected == 200:
        assert closing.status_code == 204
        huddle.refresh_from_db()
        assert huddle.status == HuddleStatus.CLOSED
    else:
        assert closing.status_code == expected
        assert _state(huddle, item) == before


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 302), ("outsider", 404), ("pcp", 403), ("nurse", 200)],
)
def test_add_item_role_matrix(request, running, patient, who, expected):
    huddle, item = running
    before = _state(huddle, item)
    response = _client(request, who).post(
        reverse("huddles:item_add", args=[huddle.pk]),
        {"mrn": patient.mrn, "title": "Extra", "note": ""},
        **HX,
    )
    assert response.status_code == expected
    assert (_state(huddle, item) == before) == (expected != 200)


def test_outsider_cannot_add_their_own_patient_to_another_teams_huddle(
    running, client_for, nurse, other_patient
):
    huddle, _ = running
    response = client_for(nurse).post(
        reverse("huddles:item_add", args=[huddle.pk]),
        {"mrn": other_patient.mrn, "title": "Sneak", "note": ""},
        **HX,
    )
    assert "No patient of this team has that MRN" in response.content.decode()
    assert not AgendaItem.objects.filter(patient=other_patient).exists()


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 302), ("outsider", 404), ("pcp", 200), ("nurse", 200)],
)
def test_chart_section_role_matrix(request, running, nurse, patient, who, expected):
    huddle, item = running
    from apps.huddles import services

    services.huddle_item_discuss(actor=nurse, item=item, decision="Secret plan")
    run_and_close(huddle, nurse)
    response = _client(request, who).get(reverse("huddles:patient_history", args=[patient.pk]))
    assert response.status_code == expected
    assert ("Secret plan" in response.content.decode()) == (expected == 200)


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 302), ("outsider", 404), ("pcp", 403), ("nurse", 302)],
)
def test_open_and_cancel_role_matrix(request, team, nurse, who, expected):
    from tests.huddles.factories import make_huddle

    first = make_huddle(team, nurse)
    client = _client(request, who)
    response = client.post(reverse("huddles:open", args=[first.pk]))
    assert response.status_code == expected
    first.refresh_from_db()
    assert (first.status == HuddleStatus.OPEN) == (who == "nurse")
    second = make_huddle(team, nurse)
    client.post(reverse("huddles:cancel", args=[second.pk]), {"reason": "Holiday"})
    second.refresh_from_db()
    assert (second.status == HuddleStatus.CANCELLED) == (who == "nurse")
    assert Huddle.objects.count() == 2
