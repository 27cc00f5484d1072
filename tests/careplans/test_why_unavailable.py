"""Where the plan page does not offer an action to a role, it says why in one line: the
same text the refusal gives."""

import pytest
from django.urls import reverse

from apps.careplans.models import GoalDomain
from apps.careplans.selectors import care_plan_review
from apps.careplans.services import care_plan_sign
from apps.core.exceptions import Refused
from tests.careplans.factories import make_goal, make_plan


def test_a_nurse_reads_that_social_goals_are_edited_by_social_workers_and_is_refused_so(
    patient, nurse, social_worker, client_for
):
    plan = make_plan(patient, nurse)
    page = client_for(nurse).get(reverse("careplans:plan", args=[patient.pk])).content.decode()
    line = "Social goals are edited by the team&#x27;s social workers."
    assert 'id="why-not-social"' in page
    assert line in page
    assert 'id="why-not-medical"' not in page
    with pytest.raises(Refused) as refused:
        make_goal(plan, nurse, domain=GoalDomain.SOCIAL)
    assert str(refused.value) == "Social goals are edited by the team's social workers."


def test_a_social_worker_reads_who_edits_medical_goals(patient, nurse, social_worker, client_for):
    make_plan(patient, nurse)
    page = client_for(social_worker).get(reverse("careplans:plan", args=[patient.pk]))
    text = page.content.decode()
    assert "Medical goals are edited by the team&#x27;s RN care coordinators." in text
    assert 'id="why-not-social"' not in text


def test_who_signs_the_plan_is_said_on_the_plan_and_review_pages_and_by_the_refusal(
    patient, nurse, pcp, client_for
):
    plan = make_plan(patient, nurse)
    line = "The plan is signed by a primary care physician on the patient&#x27;s team."
    client = client_for(nurse)
    assert line in client.get(reverse("careplans:plan", args=[patient.pk])).content.decode()
    assert line in client.get(reverse("careplans:review", args=[patient.pk])).content.decode()
    pcp_page = client_for(pcp).get(reverse("careplans:plan", args=[patient.pk])).content.decode()
    assert 'id="why-not-sign"' not in pcp_page
    with pytest.raises(Refused) as refused:
        care_plan_sign(
            actor=nurse, plan=plan, fingerprint=care_plan_review(user=nurse, plan=plan).fingerprint
        )
    assert str(refused.value) == line.replace("&#x27;", "'")
