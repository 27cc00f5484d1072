import os
import signal
from typing import Any

from django.core.checks import Tags
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from apps.accounts.models import User
from apps.interop.mllp import MllpServer


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = (
        "Receives HL7 v2 ADT over MLLP and answers each message with its ACK. "
        "Messages are processed as an interface account (User.is_interface) of one organisation."
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
            "--processes",
            type=int,
            default=1,
            help=(
                "Processes sharing the port (default 1). Each connection stays in one "
                "process, so a feed's messages keep their order; more processes use more cores."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = self._interface_user(options["user"])
        server = MllpServer((options["host"], options["port"]), user_id=user.pk)
        port = server.server_address[1]
        processes = max(1, options["processes"])
        signal.signal(signal.SIGTERM, _stop)
        children = self._fork(server, processes - 1) if processes > 1 else []
        self.stdout.write(
            f"MLLP listening on {options['host']}:{port} as {user.username}"
            + (f" ({processes} processes)" if processes > 1 else "")
        )
        self.stdout.flush()
        self._serve(server)
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                continue
        self.stdout.write("MLLP listener stopped")

    def _fork(self, server: MllpServer, count: int) -> list[int]:
        """Pre-forks processes that accept on the same socket (none holds a DB connection)."""
        connections.close_all()
        # Whichever process loses the race to accept a connection must not block in accept().
        server.socket.setblocking(False)
        children = []
        for _ in range(count):
            pid = os.fork()
            if pid == 0:
                try:
                    self._serve(server)
                finally:
                    os._exit(0)
            children.append(pid)
        return children

    def _serve(self, server: MllpServer) -> None:
        try:
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()

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
