import signal
from typing import Any

from django.core.checks import Tags
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from apps.accounts.models import User
from apps.interop.mllp import ForkingMllpServer


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = (
        "Receives HL7 v2 ADT over MLLP and answers each message with its ACK, each "
        "connection in a process of its own. Messages are processed as an interface "
        "account (User.is_interface) of one organisation."
    )

    # The listener serves no URLs: check the models, not the URL configuration.
    requires_system_checks = [Tags.models]

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=2575)
        parser.add_argument(
            "--host",
            default="127.0.0.1",
            help="Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)",
        )
        parser.add_argument(
            "--user",
            default="",
            help="Username of the interface account (default: the only active one)",
        )
        parser.add_argument(
            "--max-connections",
            type=int,
            default=40,
            help=(
                "Connections served at once (default 40), each by its own process. At the "
                "cap, a new connection is served at once by closing the one idle longest; "
                "only when all are busy with a message does it wait for one to finish."
            ),
        )
        parser.add_argument(
            "--idle-timeout",
            type=float,
            default=None,
            help=(
                "Seconds a connection may stay silent before it is closed "
                "(default: MLLP_IDLE_TIMEOUT_SECONDS, 300)."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = self._interface_user(options["user"])
        server = ForkingMllpServer(
            (options["host"], options["port"]),
            user_id=user.pk,
            max_connections=max(1, options["max_connections"]),
            idle_timeout=options["idle_timeout"],
        )
        connections.close_all()  # each connection's process opens its own
        # Inherited by the connections' processes too: SIGTERM ends each cleanly.
        signal.signal(signal.SIGTERM, _stop)
        self.stdout.write(
            f"MLLP listening on {options['host']}:{server.server_address[1]} as {user.username}"
        )
        self.stdout.flush()
        try:
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            server.stop_children()
            server.server_close()  # waits for them
        self.stdout.write("MLLP listener stopped")

    def _interface_user(self, username: str) -> User:
        users = User.objects.filter(is_interface=True, is_active=True, organisation__isnull=False)
        if username:
            users = users.filter(username=username)
        found = list(users[:2])
        if len(found) != 1:
            raise CommandError(
                "Name the interface account with --user (an active user with is_interface "
                "and an organisation)."
            )
        return found[0]
