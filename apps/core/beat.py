"""The beat scheduler, recording that it is alive and which jobs it schedules."""

import logging
import time
from typing import Any

from celery.beat import PersistentScheduler

logger = logging.getLogger(__name__)

# Record the tick at most this often (seconds): the check allows minutes.
RECORD_EVERY = 30.0


class RecordingScheduler(PersistentScheduler):
    """Celery's file-backed scheduler, plus a `JobRun` row per scheduled job (so one that
    never runs is reported late) and the beat's own tick ("core.beat")."""

    _recorded_at = 0.0
    _registered = False

    def tick(self, *args: Any, **kwargs: Any) -> float:
        delay: float = super().tick(*args, **kwargs)
        now = time.monotonic()
        if now - self._recorded_at >= RECORD_EVERY:
            self._recorded_at = now
            self._record()
        return delay

    def _record(self) -> None:
        from apps.core.jobruns import beat_ticked, job_runs_register

        try:
            if not self._registered:
                job_runs_register(str(entry.task) for entry in self.schedule.values())
                self._registered = True
            beat_ticked()
        except Exception as error:
            # The beat keeps scheduling; its record's age will say something is wrong.
            logger.warning("beat could not record its tick: %s", type(error).__name__)
