from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "apps.patients"
    label = "patients"

    def ready(self) -> None:
        from apps.patients.timeline import (
            encounter_events,
            screening_events,
            timeline_source_register,
        )

        timeline_source_register("encounter", "Encounters", encounter_events)
        timeline_source_register("screening", "Screenings", screening_events)
