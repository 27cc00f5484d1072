"""Reading patients. Every read is access-checked and audited here, for every door."""

import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, TypeVar

from django.core.paginator import Paginator
from django.db.models import F, Model, Q, QuerySet
from django.utils import timezone

from apps.accounts.models import User
from apps.core.audit import audit_record
from apps.core.exceptions import NotFoundError
from apps.core.models import AuditAction
from apps.core.pages import PageNeighbours
from apps.patients import permissions
from apps.patients.models import BreakGlassAccess, Patient
from apps.teams.models import TeamMembership
from apps.teams.selectors import team_active_members

_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y")
_MRN_LIKE = re.compile(r"^[A-Za-z]{0,4}\d[\w-]*$")


def parse_search_date(text: str) -> date | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


def patient_search_filter(query: str) -> Q:
    """Name words, an MRN or a date of birth (2001-04-30 or 04/30/2001)."""
    query = query.strip()
    if not query:
        return Q()
    born = parse_search_date(query)
    if born is not None:
        return Q(date_of_birth=born)
    condition = Q()
    if _MRN_LIKE.match(query):
        condition |= Q(mrn__iexact=query) | Q(identifiers__value=query)
    words = Q()
    for word in query.replace(",", " ").split():
        words &= Q(family_name__istartswith=word) | Q(given_name__istartswith=word)
    return condition | words


AUDIT_SEARCH_PATIENT_LIMIT = 20


def patient_ids_for_audit_search(*, user: User, query: str) -> list[int]:
    """The patients an audit search term names (MRN, other identifier, name words or date
    of birth, as the patient list searches), within the searcher's own organisation (any,
    for a superuser); at most AUDIT_SEARCH_PATIENT_LIMIT."""
    condition = patient_search_filter(query)
    if not query.strip() or not (user.is_superuser or user.organisation_id):
        return []
    rows = Patient.objects.filter(condition)
    if not user.is_superuser:
        rows = rows.filter(organisation=user.organisation)
    return list(rows.values_list("pk", flat=True).distinct()[:AUDIT_SEARCH_PATIENT_LIMIT])


# Sort keys of the list: the flag and each domain's headline figure, highest first.
SORTS: dict[str, tuple[str, list[Any]]] = {
    "name": ("Name", []),
    "flag": ("Complex needs first", [F("complexity__is_complex").desc(nulls_last=True)]),
    "cci": ("Charlson index", [F("complexity__cci").desc(nulls_last=True)]),
    "utilization": (
        "ED visits + admissions",
        [
            F("complexity__acute_events_12m").desc(nulls_last=True),
            F("complexity__cost_percentile").desc(nulls_last=True),
        ],
    ),
    "cost": ("Cost percentile", [F("complexity__cost_percentile").desc(nulls_last=True)]),
    "social": (
        "Social need",
        [
            F("complexity__hrsn_positive_count").desc(nulls_last=True),
            F("complexity__adi_percentile").desc(nulls_last=True),
        ],
    ),
    "adi": ("ADI percentile", [F("complexity__adi_percentile").desc(nulls_last=True)]),
}
DOMAINS = ("clinical", "utilization", "social")


@dataclass
class TeamRef:
    id: int
    name: str


@dataclass
class ComplexityBrief:
    """The stored complex-needs result as a list row shows it (no reasons, no categories)."""

    is_complex: bool
    cci: int
    ed_visits_12m: int
    admissions_12m: int
    acute_events_12m: int
    cost_percentile: int
    hrsn_positive_count: int
    adi_percentile: int | None
    adi_suppression: str
    clinical_met: bool
    utilization_met: bool
    social_met: bool
    summary: str


@dataclass
class PatientRow:
    """A patient as the list page, the API list and the CSV export show it.

    Read as plain tuples: a page of rows costs the database's time, not the
    building of three model objects per patient.
    """

    id: int
    mrn: str
    given_name: str
    family_name: str
    date_of_birth: date
    sex: str
    care_team: TeamRef
    complexity: ComplexityBrief | None

    @property
    def pk(self) -> int:
        return self.id

    def as_dict(self) -> dict[str, Any]:
        """The row as nested dicts (what `dataclasses.asdict` gives, without its deep copies)."""
        values = dict(self.__dict__)
        values["care_team"] = dict(self.care_team.__dict__)
        complexity = self.complexity
        values["complexity"] = dict(complexity.__dict__) if complexity is not None else None
        return values


ROW_COLUMNS = (
    "id",
    "mrn",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "care_team_id",
    "care_team__name",
    "complexity__patient_id",
    *(f"complexity__{field.name}" for field in fields(ComplexityBrief)),
)


def _row(values: tuple[Any, ...]) -> PatientRow:
    pk, mrn, given_name, family_name, born, sex, team_id, team_name, computed, *brief = values
    return PatientRow(
        id=pk,
        mrn=mrn,
        given_name=given_name,
        family_name=family_name,
        date_of_birth=born,
        sex=sex,
        care_team=TeamRef(team_id, team_name),
        complexity=ComplexityBrief(*brief) if computed is not None else None,
    )


def patient_rows(patients: QuerySet[Patient]) -> list[PatientRow]:
    """The list rows of `patients` (sliced or not) in their order, from one query. Unaudited."""
    return [_row(values) for values in patients.values_list(*ROW_COLUMNS)]


def patient_list_for_user(
    *,
    user: User,
    query: str = "",
    flag: str = "",
    domains: Iterable[str] = (),
    sort: str = "name",
) -> QuerySet[Patient]:
    """The user's teams' patients matching `query`. Unaudited: pages audit.

    `flag` is "complex" or "not_complex"; `domains` keeps patients whose named
    domains (clinical, utilization, social) cross their thresholds; `sort` is a
    key of SORTS. The stored complexity comes along in the same query; lists
    read it as rows (`patient_rows`).
    """
    patients = permissions.visible_patients(user).filter(is_active=True)
    if query.strip():
        patients = patients.filter(patient_search_filter(query)).distinct()
    if flag == "complex":
        patients = patients.filter(complexity__is_complex=True)
    elif flag == "not_complex":
        patients = patients.exclude(complexity__is_complex=True)
    for domain in domains:
        if domain in DOMAINS:
            patients = patients.filter(**{f"complexity__{domain}_met": True})
    order = SORTS.get(sort, SORTS["name"])[1]
    return patients.select_related("care_team", "complexity").order_by(
        *order, "family_name", "given_name", "id"
    )


@dataclass
class PatientPage(PageNeighbours):
    patients: list[PatientRow]
    total: int
    number: int
    num_pages: int
    page_size: int


def patient_page_for_user(
    *,
    user: User,
    query: str = "",
    page: int = 1,
    page_size: int = 25,
    flag: str = "",
    domains: Iterable[str] = (),
    sort: str = "name",
) -> PatientPage:
    """One page of the visible patients with the user's rights per team; audited."""
    page_size = max(1, min(page_size, 100))
    paginator = Paginator(
        patient_list_for_user(
            user=user, query=query, flag=flag, domains=domains, sort=sort
        ).values_list(*ROW_COLUMNS),
        page_size,
    )
    page_obj = paginator.get_page(page)
    patients = [_row(values) for values in page_obj.object_list]
    audit_record(
        actor=user,
        action=AuditAction.LIST,
        object_type=Patient,
        patient_ids=[patient.pk for patient in patients],
        detail={"searched": bool(query.strip()), "page": page_obj.number},
    )
    return PatientPage(
        patients=patients,
        total=paginator.count,
        number=page_obj.number,
        num_pages=paginator.num_pages,
        page_size=page_size,
    )


EXPORT_LIMIT = 5000


def patient_export_for_user(*, user: User, query: str = "") -> list[PatientRow]:
    """The visible patients matching `query` for a CSV export, audited as an export."""
    patients = patient_rows(patient_list_for_user(user=user, query=query)[:EXPORT_LIMIT])
    audit_record(
        actor=user,
        action=AuditAction.EXPORT,
        object_type=Patient,
        patient_ids=[patient.pk for patient in patients],
        detail={"searched": bool(query.strip()), "rows": len(patients)},
    )
    return patients


M = TypeVar("M", bound=Model)


def patient_record_read(
    *, user: User, model: type[M], object_id: int, found: M | None, of: Patient | None
) -> M:
    """The one rule for reading a patient's record by id (the patient, or a row of theirs).

    `found` (a row of patient `of`) is returned to a user on the patient's team,
    or holding a live break-glass access (the read is flagged); the read is
    audited. Anyone else, and a row that does not exist, gets "not found" with
    the attempt audited as denied, so a row of another team's patient looks
    exactly like a missing one.
    """
    if found is not None and of is not None:
        visible = permissions.can_view_patient(user, of)
        if visible or permissions.has_break_glass(user, of):
            audit_record(
                actor=user,
                action=AuditAction.VIEW,
                object_type=model,
                object_id=object_id,
                patient_id=of.pk,
                break_glass=not visible,
            )
            return found
    audit_record(
        actor=user,
        action=AuditAction.DENIED,
        object_type=model,
        object_id=object_id,
        patient_id=of.pk if of else None,
    )
    raise NotFoundError(f"No such {model._meta.verbose_name}.")


def patient_get_for_user(*, user: User, patient_id: int | str) -> Patient:
    """The patient, if the user is on their team or holds a live break-glass access.

    Anything else, including a patient that exists on another team, is "not
    found", and the attempt is audited as denied.
    """
    try:
        pk = int(patient_id)
    except (TypeError, ValueError) as error:
        raise NotFoundError("No such patient.") from error
    patient = (
        Patient.objects.select_related("care_team", "organisation").filter(pk=pk).first()
        if user.is_authenticated
        else None
    )
    return patient_record_read(user=user, model=Patient, object_id=pk, found=patient, of=patient)


BREAK_GLASS_NO_MATCH = "No patient in your organisation matches these details."


def _same_name(stored: str, given: str) -> bool:
    return " ".join(stored.split()).casefold() == " ".join(given.split()).casefold()


def patient_for_break_glass(
    *, user: User, mrn: str, given_name: str, family_name: str, date_of_birth: date
) -> Patient:
    """For break-the-glass: the patient of the user's organisation with this exact MRN,
    whose names (ignoring case and spacing) and date of birth match too.

    An unknown MRN and a mismatch answer alike ("not found"), so the form cannot be
    used to learn who an MRN belongs to; both are audited as denied (a mismatch names
    the patient, for the privacy officer only). A granted access is audited by the
    break-glass service.
    """
    patient = None
    if user.is_authenticated and user.organisation_id is not None:
        patient = Patient.objects.filter(
            organisation_id=user.organisation_id, mrn=mrn.strip()
        ).first()
    matches = (
        patient is not None
        and _same_name(patient.given_name, given_name)
        and _same_name(patient.family_name, family_name)
        and patient.date_of_birth == date_of_birth
    )
    if patient is None or not matches:
        audit_record(
            actor=user,
            action=AuditAction.DENIED,
            object_type=Patient,
            patient_id=patient.pk if patient is not None else None,
            detail={
                "event": "break_glass_no_match",
                "reason": "unknown_mrn" if patient is None else "details_mismatch",
            },
        )
        raise NotFoundError(BREAK_GLASS_NO_MATCH)
    return patient


def break_glass_live_access(*, user: User, patient: Patient) -> BreakGlassAccess | None:
    """The user's live emergency access to this patient (the latest to end), if any: the
    chart's banner shows when it ends."""
    return (
        BreakGlassAccess.objects.filter(user=user, patient=patient, expires_at__gt=timezone.now())
        .order_by("-expires_at")
        .first()
    )


def patient_care_team(*, patient: Patient) -> list[TeamMembership]:
    """The people on the patient's care team, lead coordinator first."""
    return list(team_active_members(team_ids=[patient.care_team_id]))
