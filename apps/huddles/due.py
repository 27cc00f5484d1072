"""Due dates offered when a huddle turns a decision into a task: one click each.

Business days follow the organisation's calendar (public holidays and closures).
"""

from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils import timezone

from apps.accounts.models import Organisation
from apps.accounts.selectors import organisation_add_business_days


@dataclass(frozen=True)
class DueChoice:
    code: str
    label: str
    business_days: int


DUE_CHOICES = (
    DueChoice("1bd", "Next business day", 1),
    DueChoice("2bd", "In 2 business days", 2),
    DueChoice("5bd", "In a week", 5),
    DueChoice("10bd", "In 2 weeks", 10),
)
DUE_CODES = {choice.code: choice for choice in DUE_CHOICES}


def due_at_on(day: date, *, hour: int) -> datetime:
    """The given day at `hour` o'clock local time, as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, time(hour=hour)))


def due_at_for_choice(
    *, organisation: Organisation, code: str, hour: int, today: date | None = None
) -> datetime:
    choice = DUE_CODES[code]
    start = today or timezone.localdate()
    day = organisation_add_business_days(
        organisation=organisation, start=start, days=choice.business_days
    )
    return due_at_on(day, hour=hour)
