"""Who may work the ADT store: the organisation's admins, never a job or an interface."""

from apps.accounts.models import Actor, User
from apps.accounts.permissions import is_organisation_admin


def can_replay_adt(actor: Actor, organisation_id: int | None) -> bool:
    """The organisation's staff who hold the admin right over the ADT store.

    Replaying or dismissing a message decides what happens to a hospital's
    event: a person answers for it, so a job is never allowed.
    """
    return isinstance(actor, User) and is_organisation_admin(
        actor, organisation_id, "interop.change_adtmessage"
    )
