"""A request that meets another transaction (a lock it cannot get, a deadlock) is told
to try again (409) on every door, never a 500, and nothing of it is saved.

The other transaction is real: a second PostgreSQL connection holds the task's row
lock while the request's session waits at most 100 ms for it.
"""

from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection

from apps.tasks.models import Task, TaskStatus
from tests.factories import make_api_token
from tests.tasks.factories import make_task

pytestmark = pytest.mark.django_db(transaction=True)
TRY_AGAIN = "Someone else was changing the same record at that moment"


@pytest.fixture
def locked_task(patient, nurse) -> Iterator[Task]:
    task = make_task(patient, nurse, actor=nurse, title="Call about the scales")
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params) as other:
        other.execute("SELECT id FROM tasks_task WHERE id = %s FOR UPDATE", [task.pk])
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '100ms'")
        try:
            yield task
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
            other.rollback()


def test_a_page_action_that_meets_a_held_lock_says_try_again_and_saves_nothing(
    client_for, nurse, locked_task
):
    response = client_for(nurse).post(
        f"/work/tasks/{locked_task.pk}/start/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="task-row"
    )

    assert response.status_code == 409
    assert TRY_AGAIN in response.content.decode()
    assert Task.objects.get(pk=locked_task.pk).status == TaskStatus.REQUESTED


def test_an_api_call_that_meets_a_held_lock_gets_409_and_saves_nothing(nurse, locked_task):
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_api_token(nurse)}")

    response = api.post(f"/api/v1/tasks/{locked_task.pk}/start/")

    assert response.status_code == 409
    assert TRY_AGAIN in response.json()["detail"]
    assert Task.objects.get(pk=locked_task.pk).status == TaskStatus.REQUESTED
