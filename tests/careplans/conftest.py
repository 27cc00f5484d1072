"""Fixtures shared by the care plan tests."""

import pytest

from tests.careplans.factories import (
    PlanSetup,
    make_barrier,
    make_goal,
    make_intervention,
    make_plan,
)


@pytest.fixture
def setup(patient, nurse, chw) -> PlanSetup:
    """A plan with one medical goal, one intervention owned by the CHW and one barrier."""
    plan = make_plan(patient, nurse, what_matters="Tend my tomatoes")
    goal = make_goal(plan, nurse, description="Breathe easier on walks")
    intervention = make_intervention(goal, nurse, owner=chw, description="Home visit for inhaler")
    barrier = make_barrier(plan, nurse, intervention=intervention)
    plan.refresh_from_db()
    return PlanSetup(plan, goal, intervention, barrier)


@pytest.fixture
def users(nurse, pcp, social_worker, chw, pharmacist, specialist, outsider):
    return {
        "nurse": nurse,
        "pcp": pcp,
        "social_worker": social_worker,
        "chw": chw,
        "pharmacist": pharmacist,
        "specialist": specialist,
        "outsider": outsider,
    }
