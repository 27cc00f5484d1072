"""What the property tests that feed generated hostile input to a door share."""

from hypothesis import HealthCheck, settings


def hostile_examples(count: int) -> settings:
    """`count` generated examples, the same ones on every run (CI never meets a new one by
    chance; search wider by hand with `derandomize=False`), each as slow as the database
    makes it, with the test's fixtures shared by all of them."""
    return settings(
        max_examples=count,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        derandomize=True,
    )
