from collections.abc import Callable
from datetime import date

from django.db import connection
from django.db.models.expressions import RawSQL

from apps.accounts.models import Organisation, OrganisationClosure
from apps.core.calendar import add_business_days

_CLOSURES_LOADED = "_closure_dates_loaded"


def organisation_closure_dates(organisation_id: int) -> RawSQL | None:
    """The organisation's closure days as one column (a list of dates), for a caller that
    reads a statement anyway: `organisation_closures_loaded` then keeps them. None on the
    embedded SQLite (no arrays): business days then read the closures themselves."""
    if connection.vendor != "postgresql":
        return None
    return RawSQL(  # noqa: S611  # a fixed statement; the id is a parameter
        f"ARRAY(SELECT date FROM {OrganisationClosure._meta.db_table} "  # noqa: S608
        "WHERE organisation_id = %s)",
        (organisation_id,),
    )


def organisation_closures_loaded(organisation: Organisation, dates: list[date]) -> Organisation:
    """Says `dates` are the organisation's closure days, read in the current statement
    (`organisation_closure_dates`): business days then count with them, no statement
    of their own. Kept on this instance only, which lives as long as the caller's work."""
    organisation.__dict__[_CLOSURES_LOADED] = frozenset(dates)
    return organisation


def organisation_business_days(organisation: Organisation) -> Callable[[date, int], date]:
    """`add(start, days)`: `days` business days after `start` for this organisation, its
    closures read once (for a report that counts from many dates).

    Skipped: weekends, the country's national holidays, the organisation's
    closure days, and its state's own holidays only when it observes them.
    """
    loaded = organisation.__dict__.get(_CLOSURES_LOADED)
    closures = (
        loaded
        if loaded is not None
        else frozenset(organisation.closures.values_list("date", flat=True))
    )
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
