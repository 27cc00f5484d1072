"""MLLP, the framing interface engines speak over TCP: <VT> message <FS><CR>, one ACK each.

A sending system keeps one connection open and waits for each ACK before
the next message, so order within a connection is kept. `mllp_listen` serves
each connection in a process of its own (`ForkingMllpServer`): feeds run on
every core and never queue behind one another for Python's interpreter lock.
`MllpServer` serves them on threads of one process (tests, embedding). Either
way a connection has its own database connection, closed when the peer goes
away, and every frame goes through the same intake as HTTP: one ACK frame per
message (a batch in one frame gets one per message it holds). A frame over
HL7_MAX_MESSAGE_BYTES gets an AR and the connection is closed.
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
from apps.interop.intake import adt_receive_payload, adt_refuse_oversized, max_message_bytes
from apps.interop.models import AdtChannel

logger = logging.getLogger(__name__)

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c\x0d"
IDLE_TIMEOUT_SECONDS = 600
# Enough of an oversized frame to read its MSH and address the AR to it.
HEAD_BYTES = 4096


def frame(message: str) -> bytes:
    return START_BLOCK + message.encode("utf-8") + END_BLOCK


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
            limit = max_message_bytes()
            while True:
                try:
                    chunk = sock.recv(65536)
                except TimeoutError:
                    break
                if not chunk:
                    break
                buffer += chunk
                buffer, replies, oversized = self._drain(buffer, user, peer, limit)
                for reply in replies:
                    sock.sendall(reply)
                if oversized:
                    # The rest of the frame is still coming: the stream cannot be
                    # trusted to find the next frame, so the sender reconnects.
                    logger.warning("MLLP frame over %s bytes; AR sent, connection closed", limit)
                    break
        except (ConnectionError, OSError):
            logger.info("MLLP connection from %s ended abruptly", peer)
        finally:
            connections.close_all()

    def _drain(
        self, buffer: bytes, user: User, peer: str | None, limit: int
    ) -> tuple[bytes, list[bytes], bool]:
        """Answers every complete frame; (rest, replies, whether a frame went over the limit)."""
        replies: list[bytes] = []
        while True:
            start = buffer.find(START_BLOCK)
            if start < 0:
                return b"", replies, False  # bytes outside a frame are noise
            end = buffer.find(END_BLOCK, start + 1)
            size = (end if end >= 0 else len(buffer.rstrip(b"\x1c"))) - start - 1
            if size > limit:
                head = buffer[start + 1 : start + 1 + HEAD_BYTES]
                replies.append(frame(self.server.refuse_oversized(head, size, user, peer)))
                return b"", replies, True
            if end < 0:
                return buffer[start:], replies, False
            payload = buffer[start + 1 : end]
            buffer = buffer[end + len(END_BLOCK) :]
            replies.extend(frame(ack) for ack in self.server.process(payload, user, peer))


class _MllpServerBase(socketserver.TCPServer):
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], *, user_id: int, **kwargs: Any) -> None:
        self.user_id = user_id
        super().__init__(address, MllpHandler, **kwargs)

    def process(self, payload: bytes, user: User, peer: str | None) -> list[str]:
        """One ACK per message in the frame (a batch has several), in order."""
        close_old_connections()
        context = RequestContext(source=AuditSource.HL7, ip_address=peer, path="mllp")
        try:
            with request_context(context):
                answer = adt_receive_payload(actor=user, payload=payload, channel=AdtChannel.MLLP)
                return list(answer.acks)
        except Exception:
            logger.exception("MLLP message could not be processed")
            return [
                build_ack(Header(), code="AE", text="Internal error; send the message again later.")
            ]

    def refuse_oversized(self, head: bytes, size: int, user: User, peer: str | None) -> str:
        close_old_connections()
        context = RequestContext(source=AuditSource.HL7, ip_address=peer, path="mllp")
        with request_context(context):
            return adt_refuse_oversized(actor=user, size=size, head=head, channel=AdtChannel.MLLP)


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
