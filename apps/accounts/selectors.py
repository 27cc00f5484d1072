from datetime import date

from apps.accounts.models import Organisation
from apps.core.calendar import add_business_days


def organisation_add_business_days(*, organisation: Organisation, start: date, days: int) -> date:
    """`days` business days after `start` for this organisation (its holidays and closures)."""
    closures = frozenset(organisation.closures.values_list("date", flat=True))
    return add_business_days(
        start,
        days,
        country=organisation.country or "US",
        subdivision=organisation.subdivision or None,
        extra_holidays=closures,
    )
