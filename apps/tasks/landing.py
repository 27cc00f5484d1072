"""Where each person lands after signing in (and at `/`): the page where their work is.

The one place that decides it. Pages of higher apps are named by URL name and
reversed, never imported, so the layers stay as they are.
"""

from typing import NamedTuple

from django.urls import reverse

from apps.accounts.models import Role, User
from apps.tasks.permissions import team_roles_for_user

MY_WORK = "tasks:my_work"
# My work narrowed to the checks waiting for this person (see `MyWorkViewForm`).
VERIFICATIONS = "verifications"


class Landing(NamedTuple):
    url_name: str
    query: str = ""


# The first role here that the person holds on any of their teams decides; anyone
# else (and anyone on no team) lands on My work.
LANDING_BY_ROLE: tuple[tuple[str, Landing], ...] = (
    # A PCP's work is signing off care plans.
    (Role.PCP, Landing("careplans:review_list")),
    # A pharmacist's is verifying medication reconciliations: their checks on My work.
    (Role.PHARMACIST, Landing(MY_WORK, f"show={VERIFICATIONS}")),
)


def landing_url_for(user: User) -> str:
    roles = set(team_roles_for_user(user).values())
    landing = next(
        (landing for role, landing in LANDING_BY_ROLE if role in roles), Landing(MY_WORK)
    )
    url = reverse(landing.url_name)
    return f"{url}?{landing.query}" if landing.query else url
