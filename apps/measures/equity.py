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
identify people (the usual CMS cell-size rule). Every breakdown counts the same
patients and discharges, so a column's total is known from any table: a column
with one suppressed cell would give it away (the total less the cells shown), and
its next smallest cell is hidden with it (complementary suppression).

Set-wise: one grouped query per dimension for the counts and one per dimension
for the readmissions, whatever the number of patients.
"""

from dataclasses import dataclass, replace

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
# A cell hidden so that a suppressed one cannot be worked out from the column's total.
HIDDEN = "hidden"
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


def shown(count: int, *, hidden: bool = False) -> str:
    """A count as it may be shown: suppressed from 1 to 10, or hidden beside one."""
    if 0 < count < SMALL_CELL:
        return SUPPRESSED
    return HIDDEN if hidden else str(count)


def _rate(numerator: int, denominator: int, *, hidden: bool = False) -> str:
    if denominator == 0:
        return "—"
    if 0 < numerator < SMALL_CELL or denominator < SMALL_CELL or hidden:
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
    # Counts hidden beside a suppressed cell of their column (`_complementary`).
    hidden: frozenset[str] = frozenset()

    def _shown(self, field: str) -> str:
        return shown(getattr(self, field), hidden=field in self.hidden)

    @property
    def cells(self) -> list[str]:
        """What the page and the CSV show, in column order, small cells suppressed."""
        return [
            self.group,
            self._shown("patients"),
            self._shown("eligible"),
            self._shown("enrolled"),
            _rate(
                self.enrolled, self.eligible, hidden=bool({"enrolled", "eligible"} & self.hidden)
            ),
            self._shown("discharges"),
            self._shown("readmitted"),
            _rate(
                self.readmitted,
                self.discharges,
                hidden=bool({"readmitted", "discharges"} & self.hidden),
            ),
        ]


COUNTS = ("patients", "eligible", "enrolled", "discharges", "readmitted")


def _complementary(rows: list[EquityRow]) -> list[EquityRow]:
    """The rows with, in each column holding exactly one suppressed cell, its smallest
    shown cell above zero hidden too; a column's total is the same in every breakdown."""
    hidden: dict[str, set[str]] = {row.group: set() for row in rows}
    for field in COUNTS:
        counts = [(getattr(row, field), row.group) for row in rows]
        if sum(1 for count, _group in counts if 0 < count < SMALL_CELL) != 1:
            continue
        shown_counts = sorted(item for item in counts if item[0] >= SMALL_CELL)
        if shown_counts:
            hidden[shown_counts[0][1]].add(field)
    return [replace(row, hidden=frozenset(hidden[row.group])) for row in rows]


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
        tables.append(EquityTable(code=code, title=title, rows=_complementary(rows)))
    return tables
