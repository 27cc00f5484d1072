from typing import Any

from django.apps import AppConfig


def audit_search_patients(request: Any, term: str) -> list[int]:
    """The audit admin's search by MRN or patient name (apps.core.admin)."""
    from apps.accounts.http import request_actor
    from apps.patients.selectors import patient_ids_for_audit_search

    return patient_ids_for_audit_search(user=request_actor(request), query=term)


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

        from apps.core.admin import audit_patient_finder_register

        audit_patient_finder_register(audit_search_patients)
