"""Who acts: a person, an interface account, or a job acting for a named person or organisation.

Services take an `actor` and never accept "nobody": a scheduled job passes a
`JobActor` that names the human (or the organisation) behind it, so the audit
trail can say who a system step was done for and permission checks are never
skipped by leaving the actor out.
"""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class JobActor:
    """A scheduled job or worker doing a system step.

    `for_user` is the person whose action caused the step (a nurse's discharge
    entry behind the follow-up job), when there is one; `organisation_id` the
    organisation the job works for. Neither is required: a sweep across every
    organisation names only itself.
    """

    job: str
    for_user: Any = None
    organisation_id: int | None = None

    # Never a signed-in person: rights checks that ask a user answer "no".
    is_authenticated = False
    is_active = False
    is_interface = False
    is_superuser = False
    pk = None

    def __str__(self) -> str:
        return f"job:{self.job}"

    def acting_for(self, user: Any) -> "JobActor":
        """The same job, now acting for `user` (who caused this item)."""
        return JobActor(job=self.job, for_user=user, organisation_id=self.organisation_id)


def is_job(actor: object) -> bool:
    return isinstance(actor, JobActor)


def person_behind(actor: object) -> Any:
    """The signed-in person behind `actor` (the user, or the person a job acts for), or None."""
    if isinstance(actor, JobActor):
        return actor.for_user
    if actor is not None and getattr(actor, "is_authenticated", False):
        return actor
    return None
