"""The daily series sweep, run by a real Celery worker process on Redis."""

from datetime import time

import pytest

from apps.huddles.models import Huddle, HuddleSeries, Weekday
from apps.huddles.services import huddle_series_create
from apps.huddles.workers import huddle_series_extend_task
from tests import workers

pytestmark = [pytest.mark.celery_worker, pytest.mark.timeout(180)]


def test_series_sweep_in_a_real_worker_fills_gaps_and_a_rerun_adds_nothing(processes, team, nurse):
    series = huddle_series_create(
        actor=nurse, team=team, weekday=Weekday.TUESDAY, start_time=time(9, 0)
    )
    scheduled = Huddle.objects.filter(series=series)
    expected = scheduled.count()
    # Lose two occurrences, as if the sweep had not run for a while.
    scheduled.filter(pk__in=list(scheduled.values_list("pk", flat=True)[:2])).delete()
    ended = huddle_series_create(
        actor=nurse, team=team, weekday=Weekday.FRIDAY, start_time=time(14, 0)
    )
    HuddleSeries.objects.filter(pk=ended.pk).update(is_active=False)
    Huddle.objects.filter(series=ended).delete()
    with workers.private_queue("test-huddles") as queue:
        worker = processes.worker(queue, name="huddles")
        huddle_series_extend_task.delay()
        workers.wait_for(
            lambda: Huddle.objects.filter(series=series).count() == expected,
            workers=(worker,),
            what="the sweep to restore the series",
        )
        huddle_series_extend_task.delay()
        huddle_series_extend_task.delay()
        workers.wait_for(
            lambda: workers.queue_length(queue) == 0, workers=(worker,), what="the reruns"
        )
    assert Huddle.objects.filter(series=series).count() == expected
    assert not Huddle.objects.filter(series=ended).exists()
    days = list(Huddle.objects.filter(series=series).values_list("occurrence_on", flat=True))
    assert len(days) == len(set(days))
