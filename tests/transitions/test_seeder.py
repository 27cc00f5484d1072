from apps.demo.seeders.patients import seed_patients
from apps.demo.seeders.people import seed_people
from apps.demo.seeders.transitions import seed_transitions
from apps.interop.models import AdtMessage, AdtStatus, MatchStatus, PatientMatchRequest
from apps.transitions.models import Episode, FollowUp, FollowUpStatus


def test_demo_transitions_come_in_over_adt_and_fill_the_board(db):
    people = seed_people()
    seed_patients(actor=people.admin, teams=people.teams, count=45)
    seed_transitions(people=people)
    assert (
        AdtMessage.objects.exclude(status__in=[AdtStatus.APPLIED, AdtStatus.UNMATCHED]).count() == 0
    )
    assert PatientMatchRequest.objects.filter(status=MatchStatus.OPEN).count() == 1
    assert Episode.objects.filter(readmission_of__isnull=False).count() == 3
    assert FollowUp.objects.filter(status=FollowUpStatus.SCHEDULED).count() >= 24
    assert not FollowUp.objects.filter(status=FollowUpStatus.PENDING).exists()
