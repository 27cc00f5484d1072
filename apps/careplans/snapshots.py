"""A plan's content as a plain, comparable structure, and the difference between two of them.

A snapshot is what a version stores and what a PCP signs: the patient's voice,
the goals with their targets and owners, the interventions with their owners
and due dates, and the barriers. Workflow bookkeeping (status, review dates)
is left out, so signing or a review request never looks like a content change.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from django.utils import timezone

from apps.careplans.models import (
    AgreedBy,
    AgreementMethod,
    CarePlan,
    ComB,
    ComBSubComponent,
    GoalDomain,
    GoalStatus,
    InterventionState,
)

Snapshot = dict[str, Any]
SNAPSHOT_SCHEMA = 1


def _local_date(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).date().isoformat() if moment else None


def plan_snapshot(plan: CarePlan) -> Snapshot:
    """Reads the plan's current content (four queries) into a snapshot."""
    goals = list(plan.goals.select_related("owner").order_by("id"))
    interventions = list(plan.interventions.select_related("task__owner").order_by("id"))
    barriers = list(plan.barriers.order_by("id"))
    pathways = sorted(f"{pathway.code}: {pathway.name}" for pathway in plan.pathways.all())
    return {
        "schema": SNAPSHOT_SCHEMA,
        "what_matters": plan.what_matters,
        "priorities": plan.priorities,
        "agreed_by": plan.agreed_by,
        "agreement_method": plan.agreement_method,
        "agreed_at": timezone.localtime(plan.agreed_at).isoformat(timespec="minutes")
        if plan.agreed_at
        else None,
        "caregiver_name": plan.caregiver_name,
        "pam_level": plan.pam_level,
        "health_literacy_limited": plan.health_literacy_limited,
        "pathways": pathways,
        "advance_directive_reference": plan.advance_directive_reference,
        "advance_directive_date": plan.advance_directive_date.isoformat()
        if plan.advance_directive_date
        else None,
        "goals": [
            {
                "id": goal.pk,
                "domain": goal.domain,
                "description": goal.description,
                "target": goal.target,
                "target_date": goal.target_date.isoformat(),
                "status": goal.status,
                "owner_id": goal.owner_id,
                "owner_name": goal.owner.display_name,
                "patient_steps": goal.patient_steps,
            }
            for goal in goals
        ],
        "interventions": [
            {
                "id": intervention.pk,
                "goal_id": intervention.goal_id,
                "description": intervention.description,
                "details": intervention.details,
                "owner_id": intervention.owner_id,
                "owner_name": intervention.owner.display_name if intervention.owner else "",
                "due_date": _local_date(intervention.due_at),
                "state": intervention.state.value,
            }
            for intervention in interventions
        ],
        "barriers": [
            {
                "id": barrier.pk,
                "component": barrier.component,
                "sub_component": barrier.sub_component,
                "description": barrier.description,
                "intervention_id": barrier.intervention_id,
            }
            for barrier in barriers
        ],
    }


def empty_snapshot() -> Snapshot:
    """What a blank plan looks like: the base a never-signed plan is compared with."""
    return {
        "schema": SNAPSHOT_SCHEMA,
        "what_matters": "",
        "priorities": "",
        "agreed_by": "",
        "agreement_method": "",
        "agreed_at": None,
        "caregiver_name": "",
        "pam_level": None,
        "health_literacy_limited": False,
        "pathways": [],
        "advance_directive_reference": "",
        "advance_directive_date": None,
        "goals": [],
        "interventions": [],
        "barriers": [],
    }


def snapshot_fingerprint(snapshot: Snapshot) -> str:
    """A stable digest of the content: what the PCP saw is what they sign."""
    canonical = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: str
    after: str


@dataclass
class ItemChange:
    kind: Literal["added", "removed", "changed"]
    id: int
    title: str
    context: str = ""
    changes: list[FieldChange] = field(default_factory=list)


@dataclass
class PlanDiff:
    plan: list[FieldChange] = field(default_factory=list)
    goals: list[ItemChange] = field(default_factory=list)
    interventions: list[ItemChange] = field(default_factory=list)
    barriers: list[ItemChange] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.plan or self.goals or self.interventions or self.barriers)

    @property
    def item_sections(self) -> list[tuple[str, list[ItemChange]]]:
        return [
            ("Goals", self.goals),
            ("Interventions", self.interventions),
            ("Barriers", self.barriers),
        ]

    @property
    def change_count(self) -> int:
        return len(self.plan) + len(self.goals) + len(self.interventions) + len(self.barriers)


_LABELS: dict[str, dict[str, str]] = {
    "agreed_by": dict(AgreedBy.choices),
    "agreement_method": dict(AgreementMethod.choices),
    "domain": dict(GoalDomain.choices),
    "status": dict(GoalStatus.choices),
    "state": dict(InterventionState.choices),
    "component": dict(ComB.choices),
    "sub_component": dict(ComBSubComponent.choices),
}

PLAN_FIELDS = [
    ("what_matters", "What matters to the patient"),
    ("priorities", "Priorities"),
    ("agreed_by", "Agreed by"),
    ("agreement_method", "How the plan was agreed"),
    ("agreed_at", "Agreed on"),
    ("caregiver_name", "Caregiver who agreed"),
    ("pam_level", "Patient activation (PAM level)"),
    ("health_literacy_limited", "Limited health literacy"),
    ("pathways", "Clinical pathways"),
    ("advance_directive_reference", "Advance directive on file"),
    ("advance_directive_date", "Advance directive date"),
]
# (key compared, label, key shown): owners compare by id and show by name.
GOAL_FIELDS = [
    ("domain", "Domain", "domain"),
    ("description", "Goal", "description"),
    ("target", "Target", "target"),
    ("target_date", "Target date", "target_date"),
    ("status", "Status", "status"),
    ("owner_id", "Owner", "owner_name"),
    ("patient_steps", "What the patient will do", "patient_steps"),
]
INTERVENTION_FIELDS = [
    ("goal_id", "Goal", "goal"),
    ("description", "Intervention", "description"),
    ("details", "Details", "details"),
    ("owner_id", "Owner", "owner_name"),
    ("due_date", "Due", "due_date"),
    ("state", "Status", "state"),
]
BARRIER_FIELDS = [
    ("component", "COM-B component", "component"),
    ("sub_component", "Sub-component", "sub_component"),
    ("description", "Barrier", "description"),
    ("intervention_id", "Addressed by", "intervention"),
]


def _shown(name: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    return _LABELS.get(name, {}).get(str(value), str(value))


def _plan_changes(before: Snapshot, after: Snapshot) -> list[FieldChange]:
    return [
        FieldChange(name, label, _shown(name, before.get(name)), _shown(name, after.get(name)))
        for name, label in PLAN_FIELDS
        if before.get(name) != after.get(name)
    ]


def _with_references(snapshot: Snapshot) -> Snapshot:
    """Adds the descriptions of referenced goals and interventions for display."""
    goals = {goal["id"]: goal["description"] for goal in snapshot.get("goals", [])}
    interventions = {item["id"]: item["description"] for item in snapshot.get("interventions", [])}
    return {
        **snapshot,
        "interventions": [
            {**item, "goal": goals.get(item["goal_id"], "")}
            for item in snapshot.get("interventions", [])
        ],
        "barriers": [
            {**item, "intervention": interventions.get(item["intervention_id"], "")}
            for item in snapshot.get("barriers", [])
        ],
    }


def _item_changes(
    before_items: list[dict[str, Any]],
    after_items: list[dict[str, Any]],
    fields: list[tuple[str, str, str]],
    context_key: str,
) -> list[ItemChange]:
    before = {item["id"]: item for item in before_items}
    after = {item["id"]: item for item in after_items}
    changes: list[ItemChange] = []
    for item_id in sorted(before.keys() | after.keys()):
        old, new = before.get(item_id), after.get(item_id)
        if old is None and new is not None:
            changes.append(
                ItemChange(
                    "added",
                    item_id,
                    new["description"],
                    _shown(context_key, new.get(context_key)),
                    [
                        FieldChange(key, label, "—", _shown(shown, new.get(shown)))
                        for key, label, shown in fields
                    ],
                )
            )
        elif new is None and old is not None:
            changes.append(
                ItemChange(
                    "removed",
                    item_id,
                    old["description"],
                    _shown(context_key, old.get(context_key)),
                    [
                        FieldChange(key, label, _shown(shown, old.get(shown)), "—")
                        for key, label, shown in fields
                    ],
                )
            )
        elif old is not None and new is not None:
            fields_changed = [
                FieldChange(
                    key, label, _shown(shown, old.get(shown)), _shown(shown, new.get(shown))
                )
                for key, label, shown in fields
                if old.get(key) != new.get(key)
            ]
            if fields_changed:
                changes.append(
                    ItemChange(
                        "changed",
                        item_id,
                        new["description"],
                        _shown(context_key, new.get(context_key)),
                        fields_changed,
                    )
                )
    return changes


def snapshot_diff(before: Snapshot | None, after: Snapshot) -> PlanDiff:
    """What changed from `before` (None: an empty plan) to `after`, item by item."""
    old = _with_references(before or empty_snapshot())
    new = _with_references(after)
    return PlanDiff(
        plan=_plan_changes(old, new),
        goals=_item_changes(old["goals"], new["goals"], GOAL_FIELDS, "domain"),
        interventions=_item_changes(
            old["interventions"], new["interventions"], INTERVENTION_FIELDS, "goal"
        ),
        barriers=_item_changes(old["barriers"], new["barriers"], BARRIER_FIELDS, "component"),
    )
