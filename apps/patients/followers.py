"""Work a higher app starts when a screen is recorded, said by the app that owns that work.

The same-day triage queue and its task live above the patients app (layers),
so that app registers a follower from its AppConfig.ready(); the screen
service calls every follower inside its own transaction, after the screen is
saved, so the screen and the work it starts are written together or not at
all. An explicit, ordered call made by the service (like the task sources in
apps.tasks.sources), not a signal.
"""

from collections.abc import Callable
from typing import Any

from apps.patients.models import SdohScreen

ScreenFollower = Callable[[Any, SdohScreen], object]
_screen_followers: list[ScreenFollower] = []


def sdoh_screen_follower_register(follower: ScreenFollower) -> None:
    """Called once per process from an app's ready(); registering twice is harmless."""
    if follower not in _screen_followers:
        _screen_followers.append(follower)


def sdoh_screen_recorded(actor: Any, screen: SdohScreen) -> None:
    """Runs every follower of a new screen, in the caller's transaction."""
    for follower in _screen_followers:
        follower(actor, screen)
