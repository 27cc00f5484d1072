"""Reads for time logging, consent and the monthly billing report.

The report gathers its facts set-wise, a fixed number of queries whatever the
number of patients (minutes, consents, discharges, conditions), then asks
billing_rules which codes each patient's month supports. A closed month is
read back from its stored rows, as it stood when it closed.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import BooleanField, Count, F, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Left
from django.utils import timezone

from apps.accounts.models import Organisation, Role, User
from apps.accounts.selectors import organisation_business_days
from apps.core.audit import audit_record
from apps.core.exceptions import NotFoundError
from apps.core.models import AuditAction
from apps.measures import permissions
from apps.measures.billing_codes import CODES, TCM_CONTACT_BUSINESS_DAYS
from apps.measures.billing_rules import Claim, Discharge, PatientMonth, month_outcome
from apps.measures.models import BillingMonth, BillingRow, CcmConsent, TimeEntry
from apps.measures.months import month_after, month_of
from apps.patients.models import ConditionStatus, Patient
from apps.teams.models import CareTeam
from apps.transitions.models import (
    Complexity,
    ContactKind,
    ContactOutcome,
    FollowUp,
)

# Professions whose own time (not marked clinical staff time) counts for PCM 99424/99425.
PRACTITIONER_PROFESSIONS = (Role.PCP, Role.SPECIALIST)
# Unreached contacts count as TCM's interactive contact when this many attempts were
# documented in time (CMS accepts two or more timely, separate attempts).
TCM_CONTACT_ATTEMPTS_MIN = 2
# The latest face-to-face visit any TCM code accepts (a day of slack for time zones).
TCM_LONGEST_WINDOW = timedelta(days=max(code.visit_within_days or 0 for code in CODES.values()) + 1)


# --- the chart ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PatientTime:
    month: date
    entries: list[TimeEntry]
    staff_minutes: int
    other_minutes: int
    running: TimeEntry | None  # the viewer's own running timer, on any patient
    consent: CcmConsent | None  # in effect
    consents: list[CcmConsent]
    month_closed: bool


def running_timer_for(user: User) -> TimeEntry | None:
    return TimeEntry.objects.running().filter(user=user).select_related("patient").first()


def patient_time_for_user(
    *, user: User, patient: Patient, now: datetime | None = None
) -> PatientTime:
    """This month's time on the patient (everyone's), the viewer's timer and the consent,
    for the chart; audited as a read of the patient's record."""
    now = now or timezone.now()
    month = month_of(patient.organisation, now)
    entries = list(
        TimeEntry.objects.logged()
        .filter(patient=patient, month=month)
        .select_related("user")
        .order_by("-started_at", "-pk")
    )
    consents = list(
        CcmConsent.objects.filter(patient=patient)
        .select_related("recorded_by", "revoked_by")
        .order_by("-given_on", "-pk")
    )
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        object_type=TimeEntry,
        patient_id=patient.pk,
        detail={"month": month.isoformat(), "entries": len(entries)},
    )
    return PatientTime(
        month=month,
        entries=entries,
        staff_minutes=sum(e.minutes or 0 for e in entries if e.clinical_staff_time),
        other_minutes=sum(e.minutes or 0 for e in entries if not e.clinical_staff_time),
        running=running_timer_for(user),
        consent=next((c for c in consents if c.revoked_on is None), None),
        consents=consents,
        month_closed=BillingMonth.objects.filter(
            organisation_id=patient.organisation_id, month=month
        ).exists(),
    )


def time_entry_get_for_user(*, user: User, entry_id: int) -> TimeEntry:
    """An entry the user may see (its patient on their teams); else not found."""
    entry = (
        TimeEntry.objects.select_related("patient", "patient__organisation", "organisation")
        .filter(pk=entry_id)
        .first()
    )
    if entry is None or not permissions.patient_permissions.can_view_patient(user, entry.patient):
        raise NotFoundError("No such time entry.")
    return entry


def consent_get_for_user(*, user: User, consent_id: int) -> CcmConsent:
    consent = (
        CcmConsent.objects.select_related("patient", "patient__organisation")
        .filter(pk=consent_id)
        .first()
    )
    if consent is None or not permissions.patient_permissions.can_view_patient(
        user, consent.patient
    ):
        raise NotFoundError("No such consent.")
    return consent


# --- the monthly report -------------------------------------------------------------------


@dataclass
class ReportRow:
    patient_id: int
    team_id: int
    staff_minutes: int = 0
    practitioner_minutes: int = 0
    consent: bool = False
    chronic_conditions: int = 0
    complex: bool = False
    claims: list[Claim] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    # For display and export.
    mrn: str = ""
    family_name: str = ""
    given_name: str = ""
    team_name: str = ""

    @property
    def codes(self) -> str:
        return ", ".join(str(claim) for claim in self.claims)


def _month_bounds(organisation: Organisation, month: date) -> tuple[datetime, datetime]:
    zone = organisation.zone
    start = datetime.combine(month, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(month_after(month), datetime.min.time(), tzinfo=zone)
    return start, end


def _entries(organisation: Organisation, month: date, team_q: Q) -> QuerySet[TimeEntry]:
    return TimeEntry.objects.logged().filter(team_q, organisation=organisation, month=month)


def _minutes(organisation: Organisation, month: date, team_q: Q) -> dict[int, tuple[int, int]]:
    rows = (
        _entries(organisation, month, team_q)
        .values("patient_id")
        .annotate(
            staff=Coalesce(Sum("minutes", filter=Q(clinical_staff_time=True)), 0),
            practitioner=Coalesce(
                Sum(
                    "minutes",
                    filter=Q(
                        clinical_staff_time=False, user__profession__in=PRACTITIONER_PROFESSIONS
                    ),
                ),
                0,
            ),
        )
        .order_by()
    )
    return {row["patient_id"]: (row["staff"], row["practitioner"]) for row in rows}


def _consents(organisation: Organisation, month: date, team_q: Q) -> QuerySet[CcmConsent]:
    """Consent in effect in the month: given by its last day, not revoked before it began
    (a revocation takes effect at the end of its month)."""
    last_day = month_after(month) - timedelta(days=1)
    return CcmConsent.objects.filter(
        team_q, organisation=organisation, given_on__lte=last_day
    ).filter(Q(revoked_on__isnull=True) | Q(revoked_on__gte=month))


def _discharges(organisation: Organisation, month: date, team_ids: Q) -> dict[int, list[Discharge]]:
    """Discharges home whose TCM falls in the month: the month of the face-to-face visit
    (TCM's date of service), or of the discharge while there is no visit in time."""
    start, end = _month_bounds(organisation, month)
    after = Q(contacts__contact_at__gte=F("discharged_at"))
    contact_done = (
        after
        & Q(contacts__kind=ContactKind.CONTACT)
        & (
            Q(contacts__outcome=ContactOutcome.REACHED)
            | Q(
                contacts__outcome=ContactOutcome.NOT_REACHED,
                contacts__attempts__gte=TCM_CONTACT_ATTEMPTS_MIN,
            )
        )
    )
    visit_done = after & Q(
        contacts__kind=ContactKind.VISIT, contacts__outcome=ContactOutcome.REACHED
    )
    rows = (
        FollowUp.objects.filter(
            team_ids,
            episode__patient__organisation=organisation,
            handoff__cancelled_at__isnull=True,
            # A visit in this month may follow a discharge up to the longest TCM window before.
            discharged_at__gte=start - TCM_LONGEST_WINDOW - timedelta(days=1),
            discharged_at__lt=end,
        )
        .annotate(
            first_contact=Min("contacts__contact_at", filter=contact_done),
            first_visit=Min("contacts__contact_at", filter=visit_done),
        )
        .values(
            "pk",
            "episode__patient_id",
            "discharged_at",
            "complexity",
            "first_contact",
            "first_visit",
        )
        .order_by()
    )
    zone = organisation.zone
    add_business_days = organisation_business_days(organisation)
    found: dict[int, list[Discharge]] = {}
    for row in rows:
        discharged_on = row["discharged_at"].astimezone(zone).date()
        contact, visit = row["first_contact"], row["first_visit"]
        # A visit too late for TCM leaves the discharge in its own month, with the reason.
        in_time = visit is not None and visit - row["discharged_at"] <= TCM_LONGEST_WINDOW
        counted_in = visit if in_time else row["discharged_at"]
        if month_of(organisation, counted_in) != month:
            continue
        found.setdefault(row["episode__patient_id"], []).append(
            Discharge(
                follow_up_id=row["pk"],
                discharged_on=discharged_on,
                high_complexity=row["complexity"] == Complexity.HIGH,
                contact_due_on=add_business_days(discharged_on, TCM_CONTACT_BUSINESS_DAYS),
                first_contact_on=None if contact is None else contact.astimezone(zone).date(),
                first_visit_on=None if visit is None else visit.astimezone(zone).date(),
            )
        )
    return found


def billing_report(
    *, organisation: Organisation, month: date, team_ids: list[int] | None
) -> list[ReportRow]:
    """The month's report computed from the records as they are now (`team_ids` None: the
    whole practice): every patient with time logged, consent in effect or a discharge whose
    TCM falls in the month."""
    month = month.replace(day=1)
    if team_ids is not None and not team_ids:
        return []
    by_team = Q() if team_ids is None else Q(patient__care_team_id__in=team_ids)
    follow_up_team = Q() if team_ids is None else Q(episode__patient__care_team_id__in=team_ids)
    minutes = _minutes(organisation, month, by_team)
    consented = set(_consents(organisation, month, by_team).values_list("patient_id", flat=True))
    discharges = _discharges(organisation, month, follow_up_team)
    # The patients as subqueries, not a list of ids: thousands of parameters cost more than
    # the query.
    patients = (
        Patient.objects.filter(
            Q(pk__in=_entries(organisation, month, by_team).values("patient_id"))
            | Q(pk__in=_consents(organisation, month, by_team).values("patient_id"))
            | Q(pk__in=list(discharges))
        )
        .annotate(
            chronic=Count(
                Left("conditions__code", 3),
                filter=Q(conditions__status=ConditionStatus.ACTIVE),
                distinct=True,
            ),
            flagged=Coalesce("complexity__is_complex", Value(False), output_field=BooleanField()),
        )
        .order_by("family_name", "given_name", "pk")
        .values_list(
            "pk", "care_team_id", "chronic", "flagged", "mrn", "family_name", "given_name",
            "care_team__name",
        )
    )  # fmt: skip
    rows: list[ReportRow] = []
    for pk, team_id, chronic, flagged, mrn, family_name, given_name, team_name in patients:
        staff, practitioner = minutes.get(pk, (0, 0))
        facts = PatientMonth(
            consent=pk in consented,
            chronic_conditions=chronic,
            complex=flagged,
            staff_minutes=staff,
            practitioner_minutes=practitioner,
            discharges=tuple(discharges.get(pk, ())),
        )
        outcome = month_outcome(facts)
        rows.append(
            ReportRow(
                patient_id=pk,
                team_id=team_id,
                staff_minutes=staff,
                practitioner_minutes=practitioner,
                consent=facts.consent,
                chronic_conditions=chronic,
                complex=flagged,
                claims=outcome.claims,
                reasons=outcome.reasons,
                mrn=mrn,
                family_name=family_name,
                given_name=given_name,
                team_name=team_name,
            )
        )
    return rows


def _frozen_rows(closed: BillingMonth, team_ids: list[int] | None) -> list[ReportRow]:
    stored = BillingRow.objects.filter(billing_month=closed)
    if team_ids is not None:
        stored = stored.filter(team_id__in=team_ids)
    values = stored.order_by(
        "patient__family_name", "patient__given_name", "patient_id"
    ).values_list(
        "patient_id", "team_id", "staff_minutes", "practitioner_minutes", "consent",
        "chronic_conditions", "codes", "reasons", "patient__mrn", "patient__family_name",
        "patient__given_name", "team__name",
    )  # fmt: skip
    return [
        ReportRow(
            patient_id=patient_id,
            team_id=team_id,
            staff_minutes=staff,
            practitioner_minutes=practitioner,
            consent=consent,
            chronic_conditions=chronic,
            claims=[Claim(code["code"], code["units"]) for code in codes],
            reasons=list(reasons),
            mrn=mrn,
            family_name=family_name,
            given_name=given_name,
            team_name=team_name,
        )
        for (
            patient_id, team_id, staff, practitioner, consent, chronic, codes, reasons, mrn,
            family_name, given_name, team_name,
        ) in values
    ]  # fmt: skip


@dataclass(frozen=True)
class BillingReport:
    month: date
    rows: list[ReportRow]
    closed: BillingMonth | None
    team: CareTeam | None
    can_close: bool


def billing_report_for_user(
    *, user: User, month: date, team_id: int | None = None, export: bool = False
) -> BillingReport:
    """The practice's report for the month, limited to the teams the user may see (or one
    of them); a closed month is read from its stored rows. Audited as a list of patients."""
    organisation = user.organisation
    if organisation is None:
        raise NotFoundError("No practice.")
    allowed = permissions.billing_team_ids(user)
    if team_id is not None and team_id not in allowed:
        raise NotFoundError("No such team.")
    team_ids = [team_id] if team_id is not None else allowed
    closed = BillingMonth.objects.filter(organisation=organisation, month=month).first()
    if closed is not None:
        rows = _frozen_rows(closed, team_ids)
    else:
        rows = billing_report(organisation=organisation, month=month, team_ids=team_ids)
    audit_record(
        actor=user,
        action=AuditAction.EXPORT if export else AuditAction.LIST,
        object_type=BillingRow,
        patient_ids=[row.patient_id for row in rows],
        detail={"month": month.isoformat(), "team": team_id, "closed": closed is not None},
    )
    return BillingReport(
        month=month,
        rows=rows,
        closed=closed,
        team=CareTeam.objects.filter(pk=team_id).first() if team_id is not None else None,
        can_close=closed is None and permissions.can_close_billing_month(user, organisation.pk),
    )
