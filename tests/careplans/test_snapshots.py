"""The review diff: exactly what changed since the last signed version."""

from apps.careplans import services
from apps.careplans.selectors import care_plan_review
from apps.careplans.snapshots import (
    plan_snapshot,
    snapshot_diff,
    snapshot_fingerprint,
)
from tests.careplans.factories import in_days, make_barrier, make_goal, make_intervention, make_plan


def signed_plan(patient, nurse, pcp):
    plan = make_plan(patient, nurse, what_matters="Dance at my grandson's wedding")
    goal = make_goal(plan, nurse, description="Walk without pain", target="30 min walk daily")
    make_intervention(goal, nurse, description="Refer to physiotherapy")
    plan.refresh_from_db()
    review = care_plan_review(user=pcp, plan=plan)
    services.care_plan_sign(actor=pcp, plan=plan, fingerprint=review.fingerprint)
    plan.refresh_from_db()
    return plan, goal


def review_diff(pcp, plan):
    plan.refresh_from_db()
    return care_plan_review(user=pcp, plan=plan).diff


def test_nothing_changed_since_signing_gives_an_empty_diff(patient, nurse, pcp):
    plan, _ = signed_plan(patient, nurse, pcp)
    diff = review_diff(pcp, plan)
    assert diff.is_empty
    assert diff.change_count == 0


def test_a_never_signed_plan_shows_everything_as_added(patient, nurse, pcp):
    plan = make_plan(patient, nurse, what_matters="Keep my dog")
    make_goal(plan, nurse, description="Sleep through the night")
    diff = review_diff(pcp, plan)
    assert [item.kind for item in diff.goals] == ["added"]
    assert diff.goals[0].title == "Sleep through the night"
    assert [change.field for change in diff.plan] == ["what_matters"]


def test_an_added_goal_shows_as_added_with_its_target_and_owner(patient, nurse, pcp, social_worker):
    plan, _ = signed_plan(patient, nurse, pcp)
    make_goal(
        plan,
        social_worker,
        domain="social",
        description="Find stable housing",
        target="Signed lease",
        owner=social_worker,
    )
    diff = review_diff(pcp, plan)
    assert len(diff.goals) == 1
    added = diff.goals[0]
    assert added.kind == "added"
    assert added.context == "Social"
    shown = {change.label: change.after for change in added.changes}
    assert shown["Target"] == "Signed lease"
    assert shown["Owner"] == social_worker.display_name
    assert not diff.interventions
    assert not diff.barriers
    assert not diff.plan


def test_a_removed_goal_shows_as_removed_with_its_interventions(patient, nurse, pcp):
    plan, goal = signed_plan(patient, nurse, pcp)
    services.goal_remove(actor=nurse, goal=goal)
    diff = review_diff(pcp, plan)
    assert [(item.kind, item.title) for item in diff.goals] == [("removed", "Walk without pain")]
    assert [(item.kind, item.title) for item in diff.interventions] == [
        ("removed", "Refer to physiotherapy")
    ]
    assert diff.interventions[0].context == "Walk without pain"


def test_a_changed_target_and_date_show_before_and_after(patient, nurse, pcp):
    plan, goal = signed_plan(patient, nurse, pcp)
    old_date = goal.target_date
    services.goal_update(
        actor=nurse, goal=goal, target="45 min walk daily", target_date=in_days(120)
    )
    diff = review_diff(pcp, plan)
    assert len(diff.goals) == 1
    changed = diff.goals[0]
    assert changed.kind == "changed"
    by_label = {change.label: (change.before, change.after) for change in changed.changes}
    assert by_label == {
        "Target": ("30 min walk daily", "45 min walk daily"),
        "Target date": (old_date.isoformat(), in_days(120).isoformat()),
    }


def test_a_changed_goal_owner_shows_both_names(patient, nurse, pcp, chw):
    plan, goal = signed_plan(patient, nurse, pcp)
    services.goal_update(actor=nurse, goal=goal, owner=chw)
    diff = review_diff(pcp, plan)
    (change,) = diff.goals[0].changes
    assert (change.label, change.before, change.after) == (
        "Owner",
        nurse.display_name,
        chw.display_name,
    )


def test_a_changed_intervention_owner_and_status_show_in_the_diff(
    patient, nurse, pcp, social_worker
):
    plan, goal = signed_plan(patient, nurse, pcp)
    intervention = goal.interventions.get()
    services.intervention_update(
        actor=nurse, intervention=intervention, owner=social_worker, reason="Her area"
    )
    second = make_intervention(goal, nurse, description="Buy walking shoes")
    services.intervention_cancel(actor=nurse, intervention=second, reason="Got a pair")
    diff = review_diff(pcp, plan)
    kinds = {item.title: item.kind for item in diff.interventions}
    assert kinds == {"Refer to physiotherapy": "changed", "Buy walking shoes": "added"}
    changed = next(item for item in diff.interventions if item.kind == "changed")
    assert [(c.label, c.before, c.after) for c in changed.changes] == [
        ("Owner", nurse.display_name, social_worker.display_name)
    ]
    added = next(item for item in diff.interventions if item.kind == "added")
    assert {c.label: c.after for c in added.changes}["Status"] == "Cancelled"


def test_barriers_and_plan_fields_show_in_the_diff(patient, nurse, pcp):
    plan, goal = signed_plan(patient, nurse, pcp)
    intervention = goal.interventions.get()
    make_barrier(plan, nurse, intervention=intervention, description="Afraid of falling")
    services.care_plan_update(actor=nurse, plan=plan, pam_level=3, health_literacy_limited=True)
    diff = review_diff(pcp, plan)
    assert [(item.kind, item.title) for item in diff.barriers] == [("added", "Afraid of falling")]
    assert {c.label: c.after for c in diff.barriers[0].changes}["Addressed by"] == (
        "Refer to physiotherapy"
    )
    assert {change.field: (change.before, change.after) for change in diff.plan} == {
        "pam_level": ("—", "3"),
        "health_literacy_limited": ("No", "Yes"),
    }


def test_the_diff_compares_with_the_last_signed_version_not_the_previous_one(patient, nurse, pcp):
    plan, goal = signed_plan(patient, nurse, pcp)
    services.goal_update(actor=nurse, goal=goal, target="40 min")
    services.goal_update(actor=nurse, goal=goal, target="50 min")
    diff = review_diff(pcp, plan)
    (change,) = diff.goals[0].changes
    assert (change.before, change.after) == ("30 min walk daily", "50 min")


def test_a_change_made_and_undone_since_signing_leaves_no_difference(patient, nurse, pcp):
    plan, goal = signed_plan(patient, nurse, pcp)
    services.goal_update(actor=nurse, goal=goal, target="40 min")
    services.goal_update(actor=nurse, goal=goal, target="30 min walk daily")
    assert review_diff(pcp, plan).is_empty


def test_snapshot_diff_of_plain_dicts_pairs_items_by_id():
    before = {
        "goals": [
            {"id": 1, "description": "A", "target": "t1", "owner_id": 5, "owner_name": "Kim"},
            {"id": 2, "description": "B", "target": "t2", "owner_id": 5, "owner_name": "Kim"},
        ],
        "interventions": [],
        "barriers": [],
    }
    after = {
        "goals": [
            {"id": 2, "description": "B", "target": "t2", "owner_id": 6, "owner_name": "Lee"},
            {"id": 3, "description": "C", "target": "t3", "owner_id": 5, "owner_name": "Kim"},
        ],
        "interventions": [],
        "barriers": [],
    }
    diff = snapshot_diff(before, after)
    assert [(item.id, item.kind) for item in diff.goals] == [
        (1, "removed"),
        (2, "changed"),
        (3, "added"),
    ]
    assert [(c.before, c.after) for c in diff.goals[1].changes] == [("Kim", "Lee")]


def test_the_fingerprint_changes_with_content_and_not_with_key_order(patient, nurse):
    plan = make_plan(patient, nurse)
    snapshot = plan_snapshot(plan)
    reordered = dict(reversed(list(snapshot.items())))
    assert snapshot_fingerprint(snapshot) == snapshot_fingerprint(reordered)
    make_goal(plan, nurse)
    assert snapshot_fingerprint(plan_snapshot(plan)) != snapshot_fingerprint(snapshot)
