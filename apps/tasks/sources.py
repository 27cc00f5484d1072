"""What a task's change means for the work it came from, said by the app that owns that work.

A task made for a higher app's object (a care-plan intervention, a medication
reconciliation, a referral, a post-discharge follow-up) is done, verified,
reassigned or cancelled from any door: My work, the team worklist, the API,
the admin. The tasks app cannot import those apps (layers), so each one
registers, in its AppConfig.ready(), one handler per TaskSource; the task
services call `task_source_changed` inside their own transaction after every
change, so the source follows in the same step or the whole change is refused.
This is an explicit, ordered call made by the service, not a signal.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from apps.core.exceptions import ApplicationError
from apps.patients.models import Patient
from apps.tasks.models import Task


@dataclass(frozen=True)
class TaskChange:
    """One change of one task: `kind` is the TaskEventKind written to its history."""

    actor: Any
    task: Task
    kind: str
    from_status: str = ""
    from_owner_id: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[TaskChange], None]
_handlers: dict[str, list[Handler]] = {}


def task_source_register(source_type: str, handler: Handler) -> None:
    """Called once per process from an app's ready(); registering twice is harmless."""
    handlers = _handlers.setdefault(source_type, [])
    if handler not in handlers:
        handlers.append(handler)


def task_source_changed(change: TaskChange) -> None:
    """Runs the handlers of the task's source, in the caller's transaction."""
    for handler in _handlers.get(change.task.source_type, ()):
        handler(change)


@dataclass(frozen=True)
class WorkProblem:
    """Work that a higher app could not put on anyone's list (e.g. a follow-up with no
    owner): the team worklist shows how many, with a link to where they are fixed."""

    label: str
    count: int
    link: str


ProblemCounter = Callable[[list[int]], WorkProblem | None]
_problem_counters: list[ProblemCounter] = []


def work_problem_register(counter: ProblemCounter) -> None:
    """Called from an app's ready(): `counter(team_ids)` says how many items wait for a fix."""
    if counter not in _problem_counters:
        _problem_counters.append(counter)


def work_problems(team_ids: list[int]) -> list[WorkProblem]:
    """Every registered app's problems on these teams, those with a count only."""
    problems = (counter(team_ids) for counter in _problem_counters)
    return [problem for problem in problems if problem is not None and problem.count]


@dataclass(frozen=True)
class SourceLink:
    """Where the work behind a task is done (e.g. the reconciliation with its lines)."""

    label: str
    url: str
    # The work is documented there (e.g. a follow-up call's when, who and outcome):
    # the task page sends the user there instead of offering a bare "Complete".
    completes_there: bool = False


Linker = Callable[[Task], SourceLink | None]
_linkers: dict[str, Linker] = {}


def task_source_link_register(source_type: str, linker: Linker) -> None:
    """Called from an app's ready(): the task page links to the page `linker` names."""
    _linkers[source_type] = linker


def task_source_link(task: Task) -> SourceLink | None:
    linker = _linkers.get(task.source_type)
    return linker(task) if linker is not None else None


@dataclass(frozen=True)
class LinkTarget:
    """Something of a higher app a person may link a new task to (a care-plan goal)."""

    id: int
    label: str


Chooser = Callable[[Patient], list[LinkTarget]]
_choosers: dict[str, Chooser] = {}


def task_link_target_register(source_type: str, chooser: Chooser) -> None:
    """Called from an app's ready(): `chooser(patient)` lists what a task may be linked to."""
    _choosers[source_type] = chooser


def task_link_targets(source_type: str, patient: Patient) -> list[LinkTarget]:
    chooser = _choosers.get(source_type)
    return chooser(patient) if chooser is not None else []


def task_link_validate(
    *, source_type: str, source_id: int | None, patient: Patient, field: str
) -> None:
    """A source a person chooses (one with a chooser) must be one of the patient's own
    choices: a task cannot be linked to another patient's goal by sending its id."""
    chooser = _choosers.get(source_type)
    if chooser is None:
        return
    if source_id is None or source_id not in {target.id for target in chooser(patient)}:
        raise ApplicationError(
            "Link the task to one of this patient's current goals.",
            field_errors={field: ["Choose a goal from this patient's care plan."]},
        )


@dataclass(frozen=True)
class ContactCompleter:
    """How a logged contact closes the tasks of one source (e.g. a post-discharge call):
    `offers(patient, kind)` names the open task ids a contact of that kind may complete;
    `complete(actor, task, contact)` documents what the source needs and completes it."""

    offers: Callable[[Patient, str], list[int]]
    complete: Callable[[Any, Task, Any], None]


_contact_completers: dict[str, ContactCompleter] = {}


def contact_completer_register(source_type: str, completer: ContactCompleter) -> None:
    """Called from an app's ready(): tasks of `source_type` close from a contact this way."""
    _contact_completers[source_type] = completer


def contact_completers() -> dict[str, ContactCompleter]:
    return dict(_contact_completers)
