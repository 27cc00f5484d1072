"""The nightly series job: one series that cannot be extended stops no other."""

from datetime import time

import pytest

from apps.core.items import ItemsFailed
from apps.core.models import AuditAction, AuditEvent, AuditSource, JobRun
from apps.huddles import workers
from apps.huddles.models import Huddle, Weekday
from apps.huddles.services import huddle_series_create

pytestmark = pytest.mark.django_db


def test_one_series_that_fails_does_not_stop_the_others(monkeypatch, team, nurse):
    broken = huddle_series_create(
        actor=nurse, team=team, weekday=Weekday.MONDAY, start_time=time(9, 0)
    )
    healthy = huddle_series_create(
        actor=nurse, team=team, weekday=Weekday.THURSDAY, start_time=time(9, 0)
    )
    Huddle.objects.all().delete()
    extend = workers.huddle_series_extend

    def failing_for_one(*, actor, series):
        if series.pk == broken.pk:
            raise RuntimeError("cannot extend")
        return extend(actor=actor, series=series)

    monkeypatch.setattr(workers, "huddle_series_extend", failing_for_one)

    with pytest.raises(ItemsFailed, match=str(broken.pk)):
        workers.huddle_series_extend_task()

    assert Huddle.objects.filter(series=healthy).exists()
    assert not Huddle.objects.filter(series=broken).exists()
    run = JobRun.objects.get(name=workers.huddle_series_extend_task.name)
    assert run.last_error.startswith("ItemsFailed: 1 of 2 series failed")


def test_huddles_the_nightly_job_schedules_are_audited_as_made_by_the_job_for_the_organisation(
    team, nurse
):
    series = huddle_series_create(
        actor=nurse, team=team, weekday=Weekday.MONDAY, start_time=time(9, 0)
    )
    made_by_nurse = set(Huddle.objects.filter(series=series).values_list("pk", flat=True))
    Huddle.objects.filter(series=series).delete()

    assert workers.huddle_series_extend_task() == len(made_by_nurse)

    made = Huddle.objects.filter(series=series)
    events = AuditEvent.objects.filter(
        object_type="huddles.huddle",
        action=AuditAction.CREATE,
        object_id__in=[str(pk) for pk in made.values_list("pk", flat=True)],
    )
    assert events.count() == made.count() > 0
    for event in events:
        assert event.actor is None
        assert event.source == AuditSource.TASK
        assert event.detail["job"] == workers.SERIES_JOB
        assert event.detail["organisation_id"] == team.organisation_id
        assert event.detail["series_id"] == series.pk
