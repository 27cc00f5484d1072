"""Demo transitions, sent as real HL7 ADT through the interface service.

An interface account "hl7" (token printed by `manage.py api_token_create hl7 --by admin`)
sends admissions and discharges for a dozen patients of each team: some home
with follow-up tasks, one via a skilled nursing facility, a readmission inside
30 days, one phoned in, and one message whose patient we do not know (it waits
in the match queue). The follow-up jobs run inline here so the board is full
at once; in the running app a Celery worker does it.
"""

import random
from datetime import datetime, timedelta

from django.core.management.base import CommandError
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.services import user_create
from apps.demo.seeders.people import DemoPeople
from apps.interop.models import AdtChannel
from apps.interop.services import adt_receive
from apps.patients.models import Patient
from apps.transitions.models import (
    ChecklistItem,
    ChecklistItemCode,
    ContactKind,
    ContactOutcome,
    FollowUp,
    FollowUpStatus,
)
from apps.transitions.services import (
    ContactDetails,
    VisitDetails,
    checklist_item_set,
    follow_up_contact_record,
    follow_up_schedule,
    medication_line_add,
    reconciliation_start,
    transition_discharge,
)

_control = iter(range(1, 100_000))


def _ts(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y%m%d%H%M%S%z")


def _message(event: str, patient: Patient, visit: str, **pv1: str) -> str:
    identifier = patient.identifiers.get(assigning_authority="GENHOSP").value
    fields = [""] * 46
    fields[1], fields[2], fields[3], fields[19] = "1", "I", "4E^412^B^GENHOSP", visit
    for number, value in pv1.items():
        fields[int(number[1:])] = value
    return "\r".join(
        [
            f"MSH|^~\\&|EPICADT|GENHOSP|CAREGRAPH|RIVERSIDE|{_ts(timezone.now())}||"
            f"ADT^{event}^ADT_{event}|DEMO{next(_control):05d}|P|2.5.1",
            f"EVN|{event}|{_ts(timezone.now())}",
            f"PID|1||{identifier}^^^GENHOSP^MR||{patient.family_name}^{patient.given_name}||"
            f"{patient.date_of_birth:%Y%m%d}",
            "PV1|" + "|".join(fields[1:]).rstrip("|"),
        ]
    )


def _send(interface: User, raw: str) -> None:
    """Sends one message; a seed whose message is not applied stops loudly (the embedded
    smoke test seeds through here, so intake that breaks on SQLite is seen)."""
    result = adt_receive(actor=interface, raw=raw, channel=AdtChannel.HTTP)
    if result.ack_code != "AA":
        raise CommandError(f"A demo ADT message was answered {result.ack_code}: {result.ack}")


def _stay(interface: User, patient: Patient, visit: str, admitted: datetime) -> None:
    _send(interface, _message("A01", patient, visit, p44=_ts(admitted)))


def _leave(
    interface: User, patient: Patient, visit: str, admitted: datetime, left: datetime, code: str
) -> None:
    _send(
        interface,
        _message("A03", patient, visit, p36=code, p44=_ts(admitted), p45=_ts(left)),
    )


def seed_transitions(*, people: DemoPeople, rng: random.Random | None = None) -> None:
    rng = rng or random.Random(4)  # noqa: S311 - synthetic data
    interface = user_create(
        username="hl7",
        password=None,
        organisation=people.organisation,
        first_name="Hospital",
        last_name="ADT feed",
        is_interface=True,
    )
    now = timezone.now()
    for team_number, team in enumerate(people.teams, start=1):
        nurse = people.staff[f"nurse{team_number}"]
        patients = list(Patient.objects.filter(care_team=team).order_by("id")[:14])
        for index, patient in enumerate(patients[:10]):
            visit = f"V{team_number}{index:03d}"
            left = now - timedelta(days=index * 3 + 1, hours=rng.randint(0, 8))
            admitted = left - timedelta(days=rng.randint(2, 7))
            _stay(interface, patient, visit, admitted)
            if index == 9:
                continue  # still in hospital
            _leave(interface, patient, visit, admitted, left, "03" if index == 4 else "01")
            if index == 4:  # on to a skilled nursing facility, then home
                snf_in = left + timedelta(hours=3)
                _stay(interface, patient, f"SNF{visit}", snf_in)
                _leave(interface, patient, f"SNF{visit}", snf_in, now - timedelta(hours=20), "06")
        # A readmission inside the 30-day window.
        _stay(interface, patients[2], f"R{team_number}", now - timedelta(hours=30))
        # A discharge phoned in by a ward clerk.
        transition_discharge(
            actor=nurse,
            patient=patients[10],
            visit=VisitDetails(
                occurred_at=now - timedelta(days=1, hours=2),
                facility="St Luke's",
                setting="home",
                source="phone",
                source_reference="Ward clerk, 3 West",
                admitted_at=now - timedelta(days=5),
            ),
        )
        _work_done(nurse=nurse, team_id=team.pk)
    # Someone the hospital knows and we do not: waits in the match queue.
    stranger = (
        "MSH|^~\\&|EPICADT|GENHOSP|CAREGRAPH|RIVERSIDE|"
        f"{_ts(now)}||ADT^A01^ADT_A01|DEMO-UNMATCHED|P|2.5.1\r"
        f"EVN|A01|{_ts(now)}\rPID|1||H999999^^^GENHOSP^MR||Doe^Jordan||19580214|U\r"
        "PV1|1|I|5W^501^A^GENHOSP||||||||||||||||V-UNKNOWN"
    )
    _send(interface, stranger)


Dose = tuple[str, str, str]  # dose, route, frequency
# One dose changed with no reason given, one stopped with none: two discrepancies to resolve.
DEMO_MEDICATIONS: list[tuple[str, Dose | None, Dose | None]] = [
    ("Metoprolol succinate", ("25 mg", "oral", "daily"), ("50 mg", "oral", "daily")),
    ("Furosemide", ("40 mg", "oral", "daily"), None),
]


def on_the_lists(before: Dose | None, after: Dose | None) -> dict[str, object]:
    """A medication's entries on the pre-admission and discharge lists, as the
    reconciliation service takes them."""
    values: dict[str, object] = {
        "on_pre_admission": before is not None,
        "on_discharge": after is not None,
    }
    for prefix, dose in (("pre", before), ("discharge", after)):
        if dose is not None:
            fields = (f"{prefix}_dose", f"{prefix}_route", f"{prefix}_frequency")
            values.update(zip(fields, dose, strict=True))
    return values


def _work_done(*, nurse: User, team_id: int) -> None:
    """Runs the follow-up jobs and does some of the work, so the measures vary."""
    follow_ups = list(
        FollowUp.objects.filter(
            episode__patient__care_team_id=team_id, status=FollowUpStatus.PENDING
        ).select_related("handoff")
    )
    for follow_up in follow_ups:
        follow_up_schedule(follow_up_id=follow_up.pk)
    for position, follow_up in enumerate(
        FollowUp.objects.filter(pk__in=[f.pk for f in follow_ups]).select_related(
            "contact_task", "handoff"
        )
    ):
        if position % 3 == 0 and follow_up.contact_task is not None:
            follow_up_contact_record(
                actor=nurse,
                follow_up=follow_up,
                kind=ContactKind.CONTACT,
                details=ContactDetails(
                    contact_at=min(timezone.now(), follow_up.discharged_at + timedelta(days=1)),
                    performed_by=nurse,
                    outcome=ContactOutcome.REACHED,
                    note="Spoke with the patient",
                ),
            )
        if position % 2 == 0:
            for item in ChecklistItem.objects.filter(
                handoff=follow_up.handoff,
                code__in=[ChecklistItemCode.SUMMARY_RECEIVED, ChecklistItemCode.FOLLOW_UP_BOOKED],
            ):
                checklist_item_set(
                    actor=nurse, item=item, done=True, done_at=follow_up.handoff.occurred_at
                )
        if position == 1:
            reconciliation = reconciliation_start(actor=nurse, handoff=follow_up.handoff)
            for name, before, after in DEMO_MEDICATIONS:
                medication_line_add(
                    actor=nurse,
                    reconciliation=reconciliation,
                    name=name,
                    **on_the_lists(before, after),
                )
