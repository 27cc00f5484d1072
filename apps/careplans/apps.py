from django.apps import AppConfig


class CareplansConfig(AppConfig):
    name = "apps.careplans"
    label = "careplans"

    def ready(self) -> None:
        from apps.careplans.timeline import plan_version_events
        from apps.patients.timeline import timeline_source_register

        timeline_source_register("plan", "Plan versions", plan_version_events)

        from apps.careplans.services.task_changes import intervention_task_changed
        from apps.careplans.task_links import goal_link_targets, goal_task_link
        from apps.tasks.models import TaskSource
        from apps.tasks.sources import (
            task_link_target_register,
            task_source_link_register,
            task_source_register,
        )

        # A change to an intervention's task from any door becomes a plan version at once.
        task_source_register(TaskSource.CARE_PLAN_INTERVENTION, intervention_task_changed)
        # A task may serve one of the plan's open goals; its page links back to the goal.
        task_link_target_register(TaskSource.CARE_PLAN_GOAL, goal_link_targets)
        task_source_link_register(TaskSource.CARE_PLAN_GOAL, goal_task_link)
