import pytest


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
