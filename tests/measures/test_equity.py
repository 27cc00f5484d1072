"""The equity view: eligible, enrolled and readmitted by ADI quintile, language and
race/ethnicity, with cells under 11 suppressed on the page and in the CSV."""

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from apps.measures import equity
from apps.measures.models import Enrolment, EnrolmentStatus
from apps.measures.selectors import Period, Scope
from apps.patients.models import AreaDeprivation, PatientComplexity, RiskTier
from tests import factories
from tests.transitions.factories import admit, discharged_home


def _patients(team, count, *, prefix, language, race="", adi=None, tier=RiskTier.HIGH):
    people = []
    for number in range(count):
        person = factories.make_patient(
            team, mrn=f"{prefix}{number}", preferred_language=language, race_ethnicity=race
        )
        PatientComplexity.objects.update_or_create(
            patient=person,
            defaults={
                "organisation_id": person.organisation_id,
                "risk_tier": tier,
                "risk_probability": Decimal("0.3"),
                "as_of": timezone.localdate(),
                "computed_at": timezone.now(),
            },
        )
        if adi is not None:
            AreaDeprivation.objects.create(patient=person, national_percentile=adi, state_decile=9)
        people.append(person)
    return people


def _enrol(people, coordinator):
    Enrolment.objects.bulk_create(
        Enrolment(
            organisation_id=person.organisation_id,
            patient=person,
            team_id=person.care_team_id,
            status=EnrolmentStatus.ENROLLED,
            coordinator=coordinator,
            eligible_on=timezone.localdate(),
            enrolled_on=timezone.localdate(),
        )
        for person in people
    )


def _table(tables, code):
    return {row.group: row.cells for row in next(t for t in tables if t.code == code).rows}


def _period():
    today = timezone.localdate()
    return Period(start=today - timedelta(days=365), end=today - timedelta(days=1))


def test_breakdowns_count_eligible_and_enrolled_and_suppress_small_cells(team, nurse, organisation):
    spanish = _patients(team, 12, prefix="S", language="Spanish", race="Hispanic", adi=91)
    _patients(team, 3, prefix="V", language="Vietnamese", adi=15)
    _patients(team, 11, prefix="E", language="English", tier=RiskTier.LOW)
    _enrol(spanish[:11], nurse)
    tables = equity.equity_tables(
        scope=Scope(label="t", team_ids=(team.pk,)),
        period=_period(),
        organisation_id=organisation.pk,
    )
    language = _table(tables, "language")
    # One small cell in a column is suppressed with the next smallest (complementary
    # suppression): the patients' 26 and the eligible 15 are known from any breakdown.
    assert language["Spanish"][:5] == ["Spanish", "12", "hidden", "11", "suppressed"]
    assert language["Vietnamese"][:5] == ["Vietnamese", "<11", "<11", "0", "suppressed"]
    assert language["English"][:5] == ["English", "hidden", "0", "0", "—"]
    adi = _table(tables, "adi")
    assert adi["Q5 (ADI 81-100)"][1:4] == ["12", "hidden", "11"]
    assert adi["Q1 (ADI 1-20)"][1] == "<11"
    assert adi["No ADI on file"][1] == "hidden"
    race = _table(tables, "race_ethnicity")
    assert race["Not recorded"][1] == "14"
    assert race["Hispanic"][1] == "12"


def test_no_suppressed_cell_can_be_worked_out_from_a_columns_total(team, nurse, organisation):
    _patients(team, 4, prefix="V", language="Vietnamese")
    _patients(team, 15, prefix="S", language="Spanish")
    _patients(team, 30, prefix="E", language="English")
    _patients(team, 3, prefix="K", language="Korean")
    tables = equity.equity_tables(
        scope=Scope(label="t", team_ids=(team.pk,)),
        period=_period(),
        organisation_id=organisation.pk,
    )
    patients = {group: cells[1] for group, cells in _table(tables, "language").items()}
    # Two small cells: neither can be told from the total (52) alone; nothing else hidden.
    assert patients == {"English": "30", "Korean": "<11", "Spanish": "15", "Vietnamese": "<11"}
    race = {group: cells[1] for group, cells in _table(tables, "race_ethnicity").items()}
    assert race == {"Not recorded": "52"}


def test_readmissions_by_group_follow_the_measures_rule_and_are_suppressed_when_small(
    team, nurse, organisation
):
    (person,) = _patients(team, 1, prefix="R", language="Spanish")
    now = timezone.now()
    discharged_home(person, at=now - timedelta(days=50))
    admit(person, at=now - timedelta(days=45), visit_number="V2")
    tables = equity.equity_tables(
        scope=Scope(label="t", team_ids=(team.pk,)),
        period=_period(),
        organisation_id=organisation.pk,
    )
    assert _table(tables, "language")["Spanish"][5:] == ["<11", "<11", "suppressed"]


def test_page_and_csv_show_the_same_suppressed_cells(client_for, team, nurse):
    _patients(team, 3, prefix="V", language="Vietnamese")
    client = client_for(nurse)
    page = client.get(reverse("measures:equity"))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Vietnamese" in body
    assert "&lt;11" in body
    assert ">3<" not in body
    csv_text = client.get(reverse("measures:equity_export")).content.decode()
    line = next(line for line in csv_text.splitlines() if "Vietnamese" in line)
    assert "<11" in line
    assert ",3," not in line


def test_role_matrix_counts_only_the_users_teams(client, client_for, team, nurse, outsider):
    _patients(team, 12, prefix="S", language="Spanish")
    assert client.get(reverse("measures:equity")).status_code == 302
    assert client.get(reverse("measures:equity_export")).status_code == 302
    assert "Spanish" in client_for(nurse).get(reverse("measures:equity")).content.decode()
    assert "Spanish" not in client_for(outsider).get(reverse("measures:equity")).content.decode()
    csv_text = client_for(outsider).get(reverse("measures:equity_export")).content.decode()
    assert "Spanish" not in csv_text
    assert "S0" not in csv_text


def test_equity_page_query_count_does_not_grow_with_patients(
    client_for, team, nurse, django_assert_max_num_queries
):
    _patients(team, 15, prefix="S", language="Spanish", adi=50)
    client = client_for(nurse)
    client.get(reverse("measures:equity"))
    with django_assert_max_num_queries(16):
        client.get(reverse("measures:equity"))
