"""Demo care plans, built through the care plan services.

Six patients per team get a plan in the patient's words, goals in every
domain owned by different team members, interventions (each with its task on
the owner's worklist) and COM-B barriers. Half are signed by the team's PCP,
some of those are changed afterwards (so the review page has a diff), the rest
are drafts. Runs before the transitions seeder, so discharges flag plans for review.
"""

import random
from datetime import timedelta

from django.utils import timezone

from apps.accounts.models import User
from apps.careplans import services
from apps.careplans.models import CarePlan, CarePlanSettings, Intervention, Pathway
from apps.careplans.selectors import care_plan_review
from apps.demo.seeders.people import DemoPeople
from apps.patients.models import Patient

PATHWAYS = [
    ("CHF-HOME", "Heart failure: transition home", "https://pathways.example.org/chf-home"),
    ("DM2-CARE", "Type 2 diabetes in primary care", "https://pathways.example.org/dm2"),
    ("COPD-ACT", "COPD self-management", "https://pathways.example.org/copd"),
    ("FALLS-65", "Falls prevention over 65", "https://pathways.example.org/falls"),
]
VOICES = [
    ("Keep living in my own home with my cat", "Stay at home\nFewer hospital trips"),
    ("Be well enough to cook Sunday dinner for my family", "Cook again\nSleep better"),
    ("Walk to church without stopping", "Breathe easier\nSee my friends"),
    ("Get back to my garden this spring", "Less pain\nStay independent"),
    ("Stop worrying about the rent every month", "Stable housing\nEnough food"),
    ("Dance at my granddaughter's wedding in June", "Lose some weight\nMore energy"),
]
# (domain, goal, target, days to target, owner stem, patient's steps, interventions)
GOALS = [
    (
        "medical",
        "Keep my sugar in a safe range",
        "Sugar test (A1c) under 8 at the next check, and no low-sugar spells",
        90,
        "nurse",
        "Check my sugar before breakfast\nCarry glucose tablets",
        [
            ("Weekly call to review the glucose log", "nurse", 3),
            ("Insulin pen teach-back", "nurse", 6),
        ],
    ),
    (
        "behavioral",
        "Feel less low and worried",
        "Mood check-in score under 10 within 8 weeks",
        60,
        "bh",
        "Go to the Tuesday walking group",
        [("Start brief behavioral activation sessions", "bh", 5)],
    ),
    (
        "social",
        "Have a safe, affordable place to live",
        "Housing application submitted and a lease signed",
        120,
        "sw",
        "Bring my ID and pay slips to the housing office",
        [("Complete the housing assistance application", "sw", 4)],
    ),
    (
        "functional",
        "Get around the house without falling",
        "Up from a chair, across the room and back in under 14 seconds; no falls for 3 months",
        75,
        "chw",
        "Use the walker indoors\nKeep the hallway clear",
        [("Home safety visit: rails and lighting", "chw", 7)],
    ),
]
BARRIERS = [
    ("opportunity", "physical_opportunity", "No car and the bus stop is far", "chw"),
    ("capability", "psychological_capability", "Finds the insulin dose hard to work out", "nurse"),
    ("motivation", "reflective_motivation", "Not sure the walking group will help", "bh"),
]
PLANS_PER_TEAM = 6


def _sign(pcp, plan: CarePlan) -> None:  # type: ignore[no-untyped-def]
    plan.refresh_from_db()
    review = care_plan_review(user=pcp, plan=plan)
    services.care_plan_sign(actor=pcp, plan=plan, fingerprint=review.fingerprint)


def _editor_for(intervention: Intervention | None, staff: dict[str, User]) -> User:
    """Who may work on an intervention: the social worker under a social goal, else the nurse."""
    if intervention is not None and intervention.goal.domain == "social":
        return staff["sw"]
    return staff["nurse"]


def seed_careplans(*, people: DemoPeople, rng: random.Random | None = None) -> list[CarePlan]:
    rng = rng or random.Random(7)  # noqa: S311 - synthetic data, not security
    organisation = people.organisation
    CarePlanSettings.objects.get_or_create(
        organisation=organisation,
        defaults={
            "patient_phone": "555-0100",
            "after_hours_advice": "After 6 pm, call the nurse line at 555-0199. "
            "In an emergency, call 911.",
        },
    )
    pathways = [
        Pathway.objects.create(organisation=organisation, code=code, name=name, url=url)
        for code, name, url in PATHWAYS
    ]
    today = timezone.localdate()
    plans: list[CarePlan] = []
    for index, team in enumerate(people.teams, start=1):
        staff = {
            stem: people.staff[f"{stem}{index}"] for stem in ("nurse", "pcp", "sw", "chw", "bh")
        }
        nurse = staff["nurse"]
        patients = list(Patient.objects.filter(care_team=team).order_by("id")[:PLANS_PER_TEAM])
        for number, patient in enumerate(patients):
            what_matters, priorities = VOICES[(number + index) % len(VOICES)]
            plan = services.care_plan_create(actor=nurse, patient=patient)
            services.care_plan_update(
                actor=nurse,
                plan=plan,
                what_matters=what_matters,
                priorities=priorities,
                agreed_by="patient" if number % 3 else "caregiver",
                agreement_method=rng.choice(["in_person", "phone", "video"]),
                agreed_at=timezone.now() - timedelta(hours=rng.randint(2, 72)),
                caregiver_name="" if number % 3 else "Daughter (main caregiver)",
                pam_level=rng.randint(1, 4),
                health_literacy_limited=number % 4 == 0,
                pathways=rng.sample(pathways, k=1 + number % 2),
                advance_directive_reference=f"DMS-{patient.pk:06d}" if number % 2 else "",
                advance_directive_date=today - timedelta(days=400) if number % 2 else None,
            )
            interventions = []
            for goal_number, (domain, goal_text, target, days, owner, steps, actions) in enumerate(
                GOALS
            ):
                if (number + goal_number) % 4 == 3:
                    continue  # not every patient has a goal in every domain
                editor = staff["sw"] if domain == "social" else nurse
                goal = services.goal_create(
                    actor=editor,
                    plan=plan,
                    domain=domain,
                    description=goal_text,
                    target=target,
                    target_date=today + timedelta(days=days),
                    owner=staff[owner],
                    status="active",
                    patient_steps=steps,
                )
                for title, action_owner, due in actions:
                    interventions.append(
                        services.intervention_create(
                            actor=editor,
                            goal=goal,
                            description=title,
                            owner=staff[action_owner],
                            due_date=today + timedelta(days=due + number % 5),
                        )
                    )
            for component, sub_component, text, owner in BARRIERS[: 1 + number % 3]:
                addressed = next(
                    (item for item in interventions if item.owner_id == staff[owner].pk), None
                )
                services.barrier_create(
                    actor=_editor_for(addressed, staff),
                    plan=plan,
                    component=component,
                    sub_component=sub_component,
                    description=text,
                    intervention=addressed,
                )
            if number % 2 == 0:
                _sign(staff["pcp"], plan)
                if number % 4 == 0 and interventions:
                    # A change after the signature: the PCP's review page shows it.
                    services.intervention_update(
                        actor=_editor_for(interventions[0], staff),
                        intervention=interventions[0],
                        owner=staff["chw"],
                        reason="The CHW visits weekly and can do the calls",
                    )
            plan.refresh_from_db()
            plans.append(plan)
    return plans
