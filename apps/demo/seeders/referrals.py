"""Demo referrals: a resource directory and, per team, loops in every state.

Built through the referral services; afterwards each loop is moved back in
time (all of its timestamps together, the time limits recomputed) so the
board shows loops of every age, some past their limits for the beat sweep to
remind and escalate, and closed loops that took different times to close.
"""

import random
from datetime import timedelta
from typing import NamedTuple

from django.db.models import F

from apps.demo.seeders.people import DemoPeople
from apps.patients.models import Patient
from apps.referrals import services
from apps.referrals.models import Referral, ReferralEvent, ReferralState, ResourceService

S = ReferralState


class Offer(NamedTuple):
    """One service of a partner organisation, named as the directory service takes it."""

    name: str
    service_type: str
    area: str
    hours: str
    languages: str
    eligibility_notes: str


# (organisation, phone, the services it offers)
DIRECTORY = [
    (
        "Riverside Community Food Bank",
        "555-0140",
        [
            Offer(
                "Weekly grocery boxes",
                "food",
                "Riverside, 12001-12099",
                "Mon-Fri 9-17",
                "English, Spanish",
                "Household income under 200% of the poverty line",
            ),
            Offer(
                "Medically tailored meals",
                "food",
                "Riverside county",
                "Deliveries Tue and Fri",
                "English, Spanish, Vietnamese",
                "Referral from a clinician; diabetes, CHF or CKD",
            ),
        ],
    ),
    (
        "Harbor Housing Partnership",
        "555-0151",
        [
            Offer(
                "Rapid rehousing",
                "housing",
                "Riverside and Harbor",
                "Mon-Thu 8-16",
                "English, Haitian Creole",
                "Homeless or at risk within 14 days",
            ),
            Offer(
                "Home repair grants",
                "housing",
                "Riverside county",
                "By appointment",
                "English",
                "Homeowners over 60 or with a disability",
            ),
        ],
    ),
    (
        "County Rides",
        "555-0162",
        [
            Offer(
                "Medical transport",
                "transportation",
                "Riverside county",
                "Book 48 h ahead",
                "English, Spanish",
                "Medicaid members; wheelchair vans available",
            ),
        ],
    ),
    (
        "Riverside Energy Assistance",
        "555-0173",
        [
            Offer(
                "Utility bill help",
                "utilities",
                "Riverside county",
                "Mon-Fri 9-15",
                "English, Spanish, Arabic",
                "Shut-off notice or income under 60% of state median",
            ),
        ],
    ),
    (
        "Legal Aid of Riverside",
        "555-0184",
        [
            Offer(
                "Eviction defense",
                "legal_aid",
                "Riverside county",
                "Walk-in Wed 10-14",
                "English, Spanish, Russian",
                "Tenants with a court date or notice to quit",
            ),
        ],
    ),
    (
        "General Hospital Specialty Clinics",
        "555-0195",
        [
            Offer("Cardiology clinic", "specialist", "Riverside", "Mon-Fri 8-17", "English", ""),
            Offer(
                "Endocrinology clinic",
                "specialist",
                "Riverside",
                "Tue-Thu 8-16",
                "English, Spanish",
                "",
            ),
        ],
    ),
    (
        "Riverside Behavioral Health",
        "555-0106",
        [
            Offer(
                "Outpatient counseling",
                "behavioral_health",
                "Riverside county",
                "Mon-Sat 8-20",
                "English, Spanish, Arabic",
                "Most insurance; sliding scale",
            ),
        ],
    ),
]

REASONS = {
    "food": "Food insecurity on the social needs screen",
    "housing": "Unstable housing, behind on rent",
    "transportation": "Missed two appointments for lack of a ride",
    "utilities": "Shut-off notice for electricity",
    "legal_aid": "Notice to quit from the landlord",
    "specialist": "Specialist assessment requested by the PCP",
    "behavioral_health": "Depression screen positive (PHQ-9 14)",
}
# (final state, days since the referral was made) for each team's loops.
LOOPS = [
    (S.DRAFT, 0),
    (S.DRAFT, 6),
    (S.SENT, 2),
    (S.SENT, 12),
    (S.RECEIVED, 20),
    (S.SCHEDULED, 9),
    (S.COMPLETED, 16),
    (S.CLOSED, 40),
    (S.CLOSED, 30),
    (S.DECLINED, 25),
]
PATHS = {
    S.DRAFT: [],
    S.SENT: [S.SENT],
    S.RECEIVED: [S.SENT, S.RECEIVED],
    S.SCHEDULED: [S.SENT, S.RECEIVED, S.SCHEDULED],
    S.COMPLETED: [S.SENT, S.RECEIVED, S.SCHEDULED, S.COMPLETED],
    S.CLOSED: [S.SENT, S.RECEIVED, S.SCHEDULED, S.COMPLETED, S.CLOSED],
    S.DECLINED: [S.SENT, S.DECLINED],
}
SHIFTED = ("created_at", "state_entered_at", "sent_at", "ended_at", "consent_recorded_at")


def _seed_directory(people: DemoPeople) -> list[ResourceService]:
    found: list[ResourceService] = []
    for name, phone, offered in DIRECTORY:
        partner = services.resource_organisation_create(
            actor=people.admin, organisation=people.organisation, name=name, phone=phone
        )
        found.extend(
            services.resource_service_create(
                actor=people.admin, resource_organisation=partner, **offer._asdict()
            )
            for offer in offered
        )
    return found


def _move_back(referral: Referral, days: int, *, closed_after: int | None) -> None:
    """Every timestamp of the loop `days` earlier; its limits follow its state's new age."""
    shift = timedelta(days=days)
    Referral.objects.filter(pk=referral.pk).update(**{name: F(name) - shift for name in SHIFTED})
    ReferralEvent.objects.filter(referral=referral).update(occurred_at=F("occurred_at") - shift)
    referral.refresh_from_db()
    if closed_after is not None and referral.sent_at is not None:
        ended = referral.sent_at + timedelta(days=closed_after)
        Referral.objects.filter(pk=referral.pk).update(
            ended_at=ended, state_entered_at=ended, result_documented_at=ended
        )
        ReferralEvent.objects.filter(referral=referral, to_state=referral.state).update(
            occurred_at=ended
        )
        return
    limits = services.referral_settings_get(organisation=referral.patient.organisation)
    remind_at, escalate_at = services.due_times(
        organisation=referral.patient.organisation,
        limits=limits,
        state=referral.state,
        urgency=referral.urgency,
        start=referral.state_entered_at,
    )
    Referral.objects.filter(pk=referral.pk).update(remind_at=remind_at, escalate_at=escalate_at)


def seed_referrals(*, people: DemoPeople, rng: random.Random | None = None) -> None:
    rng = rng or random.Random(2027)  # noqa: S311 - synthetic data, not security
    directory = _seed_directory(people)
    for index, team in enumerate(people.teams, start=1):
        patients = list(Patient.objects.filter(care_team=team).order_by("id")[: len(LOOPS)])
        owners = [people.staff[f"{stem}{index}"] for stem in ("sw", "chw", "nurse", "nav")]
        referrer = people.staff[f"pcp{index}"]
        for number, (patient, (state, days)) in enumerate(zip(patients, LOOPS, strict=False)):
            service = directory[(number + index) % len(directory)]
            referral = services.referral_create(
                actor=referrer,
                patient=patient,
                service=service,
                reason=REASONS[service.service_type],
                owner=owners[number % len(owners)],
                urgency=rng.choice(["routine", "routine", "urgent"]),
                consent_given=state != S.DRAFT or number % 2 == 0,
                consent_method="verbal",
            )
            for target in PATHS[state]:
                closing = target == S.CLOSED
                referral = services.referral_transition(
                    actor=referral.owner,
                    referral=referral,
                    to_state=target,
                    reason="Outside the service area" if target == S.DECLINED else "",
                    result_summary="Seen; plan agreed and sent back to the team" if closing else "",
                    result_reported_by=(
                        f"Intake staff, {service.resource_organisation}" if closing else ""
                    ),
                )
            if days:
                _move_back(
                    referral,
                    days,
                    closed_after=rng.randint(4, 21) if state == S.CLOSED else None,
                )
