"""The published API schema describes refusals as well as successes."""

from django.urls import reverse

from tests.api.doors import openapi_schema
from tests.api.schema import assert_conforms
from tests.tasks.factories import make_task

EVERY_OPERATION = {"400", "401", "403", "404", "429"}


def test_every_operation_publishes_how_it_can_be_refused():
    missing = {
        f"{method.upper()} {path}": sorted(
            (EVERY_OPERATION | ({"409", "415"} if method != "get" else set()))
            - set(operation["responses"])
        )
        for path, operations in openapi_schema()["paths"].items()
        for method, operation in operations.items()
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert not {door: codes for door, codes in missing.items() if codes}


def test_refusals_answer_as_the_schema_publishes(api_for, nurse, outsider, pharmacist, patient):
    """Not signed in, not yours, no right, bad input, wrong state: each answer is one the
    schema names, in the shape it gives (they used to be undocumented statuses)."""
    task = make_task(patient, nurse, actor=nurse)
    path = "/api/v1/tasks/{task_id}/reassign/"
    url = reverse("api-task-reassign", args=[task.pk])
    body = {"owner_id": nurse.pk, "reason": "cover"}
    answers = {
        401: api_for(None).post(url, body, format="json"),
        404: api_for(outsider).post(url, body, format="json"),
        403: api_for(pharmacist).post(url, body, format="json"),
        400: api_for(nurse).post(url, {"owner_id": "x"}, format="json"),
    }
    for status, response in answers.items():
        assert response.status_code == status
        assert_conforms(response, "post", path)
    assert_conforms(
        api_for(nurse).get(reverse("api-task-detail", args=[task.pk + 999])),
        "get",
        "/api/v1/tasks/{task_id}/",
    )
