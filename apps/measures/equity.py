"""The equity view: eligible, enrolled and readmitted, broken down by deprivation,
language and race/ethnicity, with small cells suppressed.

For the patients in view (active, on the chosen teams), per group:
- patients; eligible (risk tier at or above the organisation's eligible tier, or
  with any enrolment decision); enrolled (enrolled now); enrolled as a share of
  eligible;
- 30-day all-cause readmissions after a discharge home in the chosen period, by
  the measures page's own rule (`readmissions-30-days`): discharges, readmitted,
  rate.
ADI quintiles come from the national percentile (Q1 = 1-20, least deprived ..
Q5 = 81-100, most deprived). A count from 1 to 10 is shown as "<11" on the page
and in the CSV, and a rate built on such a count is not shown: small cells could
identify people (the usual CMS cell-size rule).

Set-wise: one grouped query per dimension for the counts and one per dimension
for the readmissions, whatever the number of patients.
"""

from dataclasses import dataclass

from django.db.models import Case, CharField, Count, Exists, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce, NullIf, Trim
from django.utils import timezone

from apps.measures.models import Enrolment, EnrolmentStatus
from apps.measures.priorities import eligible_tiers, priority_settings_for
from apps.measures.selectors import MEASURE_CODES, Measure, Period, Scope
from apps.measures.selectors import _patients_q as patients_in_scope
from apps.patients.models import Patient

SMALL_CELL = 11
SUPPRESSED = "<11"
NOT_RECORDED = "Not recorded"
READMISSIONS = "readmissions-30-days"


def _adi_quintile(path: str) -> Case:
    percentile = f"{path}area_deprivation__national_percentile"
    return Case(
        *(
            When(
                **{f"{percentile}__gte": low, f"{percentile}__lte": low + 19},
                then=Value(f"Q{number} (ADI {low}-{low + 19})"),
            )
            for number, low in enumerate((1, 21, 41, 61, 81), start=1)
        ),
        default=Value("No ADI on file"),
        output_field=CharField(),
    )


def _recorded(path: str, field: str) -> Coalesce:
    return Coalesce(NullIf(Trim(f"{path}{field}"), Value("")), Value(NOT_RECORDED))


DIMENSIONS = (
    ("adi", "ADI quintile (national)", lambda path: _adi_quintile(path)),
    ("language", "Preferred language", lambda path: _recorded(path, "preferred_language")),
    ("race_ethnicity", "Race/ethnicity", lambda path: _recorded(path, "race_ethnicity")),
)


def shown(count: int) -> str:
    """A count as it may be shown: suppressed from 1 to 10."""
    return SUPPRESSED if 0 < count < SMALL_CELL else str(count)


def _rate(numerator: int, denominator: int) -> str:
    if denominator == 0:
        return "—"
    if 0 < numerator < SMALL_CELL or denominator < SMALL_CELL:
        return "suppressed"
    return f"{100 * numerator / denominator:.1f} %"


@dataclass(frozen=True)
class EquityRow:
    group: str
    patients: int
    eligible: int
    enrolled: int
    discharges: int
    readmitted: int

    @property
    def cells(self) -> list[str]:
        """What the page and the CSV show, in column order, small cells suppressed."""
        return [
            self.group,
            shown(self.patients),
            shown(self.eligible),
            shown(self.enrolled),
            _rate(self.enrolled, self.eligible),
            shown(self.discharges),
            shown(self.readmitted),
            _rate(self.readmitted, self.discharges),
        ]


@dataclass(frozen=True)
class EquityTable:
    code: str
    title: str
    rows: list[EquityRow]


COLUMNS = (
    "group",
    "patients",
    "eligible",
    "enrolled",
    "enrolled of eligible",
    "discharges home in the period",
    "readmitted within 30 days",
    "readmission rate",
)


def equity_tables(
    *, scope: Scope, period: Period, organisation_id: int | None
) -> list[EquityTable]:
    """The three breakdowns for the patients in `scope` (counts only, no patient named);
    readmissions after discharges home in `period`."""
    settings = priority_settings_for(organisation_id)
    now = timezone.now()
    decided = Enrolment.objects.filter(patient_id=OuterRef("pk"))
    enrolled = Enrolment.objects.filter(patient_id=OuterRef("pk"), status=EnrolmentStatus.ENROLLED)
    patients = Patient.objects.filter(patients_in_scope(scope, "id"))
    is_eligible = Q(complexity__risk_tier__in=eligible_tiers(settings)) | Q(Exists(decided))
    measure = MEASURE_CODES[READMISSIONS]
    assert isinstance(measure, Measure)  # noqa: S101 - a figure measure, not a continuity index
    discharges = measure.rows(scope, period, now)
    tables = []
    for code, title, expression in DIMENSIONS:
        counts = {
            row["group"]: row
            for row in patients.annotate(group=expression(""))
            .values("group")
            .annotate(
                patients=Count("pk"),
                eligible=Count("pk", filter=is_eligible),
                enrolled=Count("pk", filter=Q(Exists(enrolled))),
            )
            .order_by()
        }
        outcomes = {
            row["group"]: row
            for row in discharges.annotate(group=expression("episode__patient__"))
            .values("group")
            .annotate(
                discharges=Count("pk", distinct=True),
                readmitted=Count("pk", filter=measure.hit(period, now), distinct=True),
            )
            .order_by()
        }
        rows = [
            EquityRow(
                group=group,
                patients=counts.get(group, {}).get("patients", 0),
                eligible=counts.get(group, {}).get("eligible", 0),
                enrolled=counts.get(group, {}).get("enrolled", 0),
                discharges=outcomes.get(group, {}).get("discharges", 0),
                readmitted=outcomes.get(group, {}).get("readmitted", 0),
            )
            for group in sorted(set(counts) | set(outcomes))
        ]
        tables.append(EquityTable(code=code, title=title, rows=rows))
    return tables
