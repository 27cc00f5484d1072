"""MLLP, the framing interface engines speak over TCP: <VT> message <FS><CR>, one ACK each.

A sending system keeps one connection open and waits for each ACK before
the next message, so order within a connection is kept. `mllp_listen` serves
each connection in a process of its own (`ForkingMllpServer`): feeds run on
every core and never queue behind one another for Python's interpreter lock.
`MllpServer` serves them on threads of one process (tests, embedding). Either
way a connection has its own database connection, closed when the peer goes
away, and every message goes through the same `adt_receive` as HTTP.
"""

import logging
import os
import signal
import socket
import socketserver
from typing import Any

from django.db import close_old_connections, connections

from apps.accounts.models import User
from apps.core.context import RequestContext, request_context
from apps.core.models import AuditSource
from apps.interop.adt.ack import build_ack
from apps.interop.adt.parse import Header
from apps.interop.models import AdtChannel
from apps.interop.services import adt_receive

logger = logging.getLogger(__name__)

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c\x0d"
MAX_FRAME_BYTES = 4 * 1024 * 1024
IDLE_TIMEOUT_SECONDS = 600


def frame(message: str) -> bytes:
    return START_BLOCK + message.encode("utf-8") + END_BLOCK


def decode(payload: bytes) -> str:
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload.decode("latin-1")


class MllpHandler(socketserver.BaseRequestHandler):
    server: "MllpServer"

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(IDLE_TIMEOUT_SECONDS)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer = self.client_address[0] if self.client_address else None
        buffer = b""
        try:
            user = User.objects.get(pk=self.server.user_id)
            while True:
                try:
                    chunk = sock.recv(65536)
                except TimeoutError:
                    break
                if not chunk:
                    break
                buffer += chunk
                buffer, replies = self._drain(buffer, user, peer)
                for reply in replies:
                    sock.sendall(reply)
                if len(buffer) > MAX_FRAME_BYTES:
                    logger.warning(
                        "MLLP frame over %s bytes; closing the connection", MAX_FRAME_BYTES
                    )
                    break
        except (ConnectionError, OSError):
            logger.info("MLLP connection from %s ended abruptly", peer)
        finally:
            connections.close_all()

    def _drain(self, buffer: bytes, user: User, peer: str | None) -> tuple[bytes, list[bytes]]:
        replies: list[bytes] = []
        while True:
            start = buffer.find(START_BLOCK)
            if start < 0:
                return b"", replies  # bytes outside a frame are noise
            end = buffer.find(END_BLOCK, start + 1)
            if end < 0:
                return buffer[start:], replies
            payload = buffer[start + 1 : end]
            buffer = buffer[end + len(END_BLOCK) :]
            replies.append(frame(self.server.process(payload, user, peer)))


class _MllpServerBase(socketserver.TCPServer):
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], *, user_id: int, **kwargs: Any) -> None:
        self.user_id = user_id
        super().__init__(address, MllpHandler, **kwargs)

    def process(self, payload: bytes, user: User, peer: str | None) -> str:
        close_old_connections()
        context = RequestContext(source=AuditSource.HL7, ip_address=peer, path="mllp")
        try:
            with request_context(context):
                return adt_receive(actor=user, raw=decode(payload), channel=AdtChannel.MLLP).ack
        except Exception:
            logger.exception("MLLP message could not be processed")
            return build_ack(
                Header(), code="AE", text="Internal error; send the message again later."
            )


class MllpServer(socketserver.ThreadingMixIn, _MllpServerBase):
    """A thread per connection, in this process."""

    daemon_threads = True


class ForkingMllpServer(socketserver.ForkingMixIn, _MllpServerBase):
    """A process per connection, forked when the connection is accepted.

    The listening process itself never opens the database: close its
    connections before serving, so no child inherits one. Past
    `max_children` open connections, new ones wait until one closes.
    """

    def __init__(
        self, address: tuple[str, int], *, user_id: int, max_connections: int = 40, **kwargs: Any
    ) -> None:
        super().__init__(address, user_id=user_id, **kwargs)
        self.max_children = max_connections

    def stop_children(self) -> None:
        """Asks every connection's process to stop; a message mid-way is rolled back, unACKed."""
        for pid in list(self.active_children or ()):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
