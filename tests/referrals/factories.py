"""Referral test data, built through the referral services."""

import itertools

from apps.accounts.models import Organisation, User
from apps.core.actors import JobActor
from apps.patients.models import Patient
from apps.referrals import services
from apps.referrals.models import (
    Referral,
    ReferralState,
    ReferralUrgency,
    ResourceOrganisation,
    ResourceService,
    ServiceType,
)
from apps.referrals.services.sweep import SWEEP_JOB

_sequence = itertools.count(1)
# The reminder sweep as beat runs it: a job acting for no one person.
SWEEPER = JobActor(job=SWEEP_JOB)
S = ReferralState

# A legal way from a fresh draft to every state.
PATH_TO: dict[str, list[str]] = {
    S.DRAFT: [],
    S.SENT: [S.SENT],
    S.RECEIVED: [S.SENT, S.RECEIVED],
    S.SCHEDULED: [S.SENT, S.RECEIVED, S.SCHEDULED],
    S.COMPLETED: [S.SENT, S.RECEIVED, S.SCHEDULED, S.COMPLETED],
    S.CLOSED: [S.SENT, S.RECEIVED, S.SCHEDULED, S.COMPLETED, S.CLOSED],
    S.DECLINED: [S.SENT, S.DECLINED],
    S.CANCELLED: [S.CANCELLED],
    S.UNABLE_TO_CONTACT: [S.SENT, S.UNABLE_TO_CONTACT],
}
RESULT = {"result_summary": "Seen; food box weekly", "result_reported_by": "Intake desk"}


def make_partner(
    organisation: Organisation, *, actor: User, name: str | None = None, **values: object
) -> ResourceOrganisation:
    return services.resource_organisation_create(
        actor=actor,
        organisation=organisation,
        name=name or f"Partner {next(_sequence)}",
        **values,  # type: ignore[arg-type]
    )


def make_service(
    organisation: Organisation,
    *,
    actor: User,
    partner: ResourceOrganisation | None = None,
    name: str | None = None,
    service_type: str = ServiceType.FOOD,
    **values: object,
) -> ResourceService:
    partner = partner or make_partner(organisation, actor=actor)
    return services.resource_service_create(
        actor=actor,
        resource_organisation=partner,
        name=name or f"Service {next(_sequence)}",
        service_type=service_type,
        **values,  # type: ignore[arg-type]
    )


def make_referral(
    patient: Patient,
    *,
    actor: User,
    service: ResourceService,
    owner: User | None = None,
    state: str = S.DRAFT,
    urgency: str = ReferralUrgency.ROUTINE,
    consent: bool = True,
    reason: str = "Needs food support",
) -> Referral:
    referral = services.referral_create(
        actor=actor,
        patient=patient,
        service=service,
        reason=reason,
        owner=owner or actor,
        urgency=urgency,
        consent_given=consent,
        consent_method="verbal" if consent else "",
    )
    return move_along(referral, actor=actor, path=PATH_TO[state])


def move_along(referral: Referral, *, actor: User, path: list[str]) -> Referral:
    for target in path:
        referral = services.referral_transition(
            actor=actor, referral=referral, to_state=target, **details_for(target)
        )
    return referral


def details_for(target: str) -> dict[str, str]:
    """Everything any move to `target` may need (a reason is kept as a note otherwise)."""
    if target == S.CLOSED:
        return dict(RESULT)
    return {"reason": "Agreed with the patient"}
