"""Tasks built through the real services (grants, history and audit included)."""

import contextlib
import itertools
from datetime import datetime, timedelta

from django.utils import timezone

from apps.accounts.models import Actor, User
from apps.patients.models import Patient
from apps.tasks.models import Notification, Task
from apps.tasks.services import task_complete, task_create
from tests.factories import SETUP
from tests.threads import held_open

_sequence = itertools.count(1)


def make_task(
    patient: Patient,
    owner: User,
    *,
    actor: Actor | None = None,
    title: str | None = None,
    due_at: datetime | None = None,
    due_in: timedelta = timedelta(days=3),
    verification_role: str = "",
    **extra: object,
) -> Task:
    return task_create(
        actor=actor or SETUP,
        patient=patient,
        title=title or f"Follow-up call {next(_sequence)}",
        owner=owner,
        due_at=due_at or timezone.now() + due_in,
        verification_role=verification_role,
        **extra,  # type: ignore[arg-type]
    )


def make_performed(patient: Patient, owner: User, *, role: str, doer: User | None = None) -> Task:
    """A task that needs a check by `role`, done by `doer` (the owner by default)."""
    task = make_task(patient, owner, verification_role=role)
    return task_complete(actor=doer or owner, task=task)


def notification_key_held(key: str, recipient_id: int) -> contextlib.AbstractContextManager[None]:
    """Another session holding an uncommitted notification with `key`, rolled back at the
    end: a sweep inserting that key waits there, its earlier batches committed."""
    return held_open(
        lambda: Notification.objects.create(
            recipient_id=recipient_id,
            idempotency_key=key,
            kind="placeholder",
            subject="placeholder",
        ),
        rollback=True,
    )
