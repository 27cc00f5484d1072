from django.apps import AppConfig


class TransitionsConfig(AppConfig):
    name = "apps.transitions"
    label = "transitions"

    def ready(self) -> None:
        from apps.patients.timeline import timeline_source_register
        from apps.transitions.timeline import handoff_events

        timeline_source_register("transition", "Transitions", handoff_events)

        from django.urls import reverse

        from apps.tasks.models import TaskSource
        from apps.tasks.sources import (
            WorkProblem,
            task_source_link_register,
            task_source_register,
            work_problem_register,
        )
        from apps.transitions.selectors import follow_up_problem_counts
        from apps.transitions.task_sources import transition_task_changed, transition_task_link

        task_source_register(TaskSource.TRANSITION, transition_task_changed)
        task_source_link_register(TaskSource.TRANSITION, transition_task_link)

        from apps.tasks.sources import ContactCompleter, contact_completer_register
        from apps.transitions.services.contacts import (
            follow_up_complete_from_contact,
            follow_up_tasks_for_contact,
        )

        contact_completer_register(
            TaskSource.TRANSITION,
            ContactCompleter(
                offers=follow_up_tasks_for_contact, complete=follow_up_complete_from_contact
            ),
        )

        def follow_up_problems(team_ids: list[int]) -> WorkProblem:
            return WorkProblem(
                label="Discharge follow-ups that could not be scheduled (transitions board)",
                count=follow_up_problem_counts(team_ids=team_ids),
                link=reverse("transitions:board") + "#follow-up-problems",
            )

        work_problem_register(follow_up_problems)
