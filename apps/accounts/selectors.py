from collections.abc import Callable
from datetime import date

from apps.accounts.models import Organisation
from apps.core.calendar import add_business_days


def organisation_business_days(organisation: Organisation) -> Callable[[date, int], date]:
    """`add(start, days)`: `days` business days after `start` for this organisation, its
    closures read once (for a report that counts from many dates).

    Skipped: weekends, the country's national holidays, the organisation's
    closure days, and its state's own holidays only when it observes them.
    """
    closures = frozenset(organisation.closures.values_list("date", flat=True))
    observed = organisation.subdivision if organisation.observe_subdivision_holidays else ""

    def add(start: date, days: int) -> date:
        return add_business_days(
            start,
            days,
            country=organisation.country or "US",
            subdivision=observed or None,
            extra_holidays=closures,
        )

    return add


def organisation_add_business_days(*, organisation: Organisation, start: date, days: int) -> date:
    """`days` business days after `start` for this organisation (see above)."""
    return organisation_business_days(organisation)(start, days)
