import pytest

from tests.api.world import clinical_world


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    """Hundreds of calls from one person in seconds are the test here, not an attack: the
    rate limits have their own tests (tests/core/test_throttles.py)."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(
            settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "100000/min"
        ),
    }


@pytest.fixture
def ids(patient, nurse, chw, team):
    """The ids of one patient's records (and their team) to knock on the doors with."""
    return {**clinical_world(patient, nurse=nurse, chw=chw), "team_id": team.pk}
