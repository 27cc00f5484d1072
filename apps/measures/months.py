"""A practice's calendar months, in its own time zone: the months time and billing count in."""

from datetime import date, datetime, timedelta

from apps.accounts.models import Organisation


def month_of(organisation: Organisation, moment: datetime) -> date:
    """The first day of the practice's calendar month (its time zone) holding `moment`."""
    return moment.astimezone(organisation.zone).date().replace(day=1)


def month_after(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_before(month: date) -> date:
    return (month.replace(day=1) - timedelta(days=1)).replace(day=1)
