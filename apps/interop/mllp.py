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

Idle connections cannot lock feeds out: a connection silent for
MLLP_IDLE_TIMEOUT_SECONDS is closed, and when the cap (`--max-connections`)
is reached a new connection is served at once by closing the connection that
has waited longest for its next message (never one mid-message). Engines
reconnect when they next have something to send. Only when every connection
is busy with a message does a new one wait for a free place.
"""

import logging
import multiprocessing
import os
import signal
import socket
import socketserver
import threading
import time
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections

from apps.accounts.models import User
from apps.core.contention import limit_session_lock_waits
from apps.core.context import RequestContext, request_context
from apps.core.models import AuditSource
from apps.interop.adt.ack import build_ack
from apps.interop.adt.parse import Header
from apps.interop.intake import adt_receive_payload, adt_refuse_oversized, max_message_bytes
from apps.interop.models import AdtChannel

logger = logging.getLogger(__name__)

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c\x0d"
# Enough of an oversized frame to read its MSH and address the AR to it.
HEAD_BYTES = 4096


def frame(message: str) -> bytes:
    return START_BLOCK + message.encode("utf-8") + END_BLOCK


class MllpHandler(socketserver.BaseRequestHandler):
    server: "MllpServer"

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(self.server.idle_timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer = self.client_address[0] if self.client_address else None
        places = self.server.places
        place = places.place_of(sock)
        buffer = b""
        try:
            user = User.objects.get(pk=self.server.user_id)
            limit = max_message_bytes()
            while True:
                places.waiting(place)
                try:
                    chunk = sock.recv(65536)
                except TimeoutError:
                    logger.info("MLLP connection from %s idle too long; closed", peer)
                    break
                places.busy(place)
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
            places.free(place)
            connections.close_all()

    def _drain(
        self, buffer: bytes, user: User, peer: str | None, limit: int
    ) -> tuple[bytes, list[bytes], bool]:
        """Answers every complete frame; (rest, replies, whether a frame went over the limit)."""
        replies: list[bytes] = []
        while True:
            start = buffer.find(START_BLOCK)
            noise = len(buffer) if start < 0 else start
            if noise and buffer[:noise].strip(b"\r\n\x1c"):
                # Not MLLP (a sender without framing gets no ACK): said in the log, never
                # the bytes themselves, which may hold patient data.
                logger.warning("MLLP: %s bytes outside a frame from %s discarded", noise, peer)
            if start < 0:
                return b"", replies, False
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


class Places:
    """The connections' places, up to the cap, and since when each has waited for input.

    Shared with the connections' processes (a forked connection writes its own
    place): 0 free, -1 busy with a message, otherwise the time it began to wait.
    """

    FREE = 0.0
    BUSY = -1.0

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.state = multiprocessing.Array("d", cap, lock=False)
        self._by_socket: dict[int, int] = {}
        self._lock = threading.Lock()

    def take(self, sock: socket.socket) -> int | None:
        """A free place for a new connection (listening side), or None at the cap."""
        with self._lock:
            for place in range(self.cap):
                if self.state[place] == self.FREE:
                    self.state[place] = self.BUSY
                    self._by_socket[sock.fileno()] = place
                    return place
        return None

    def place_of(self, sock: socket.socket) -> int | None:
        """The place given to this connection (its handler asks once, at the start)."""
        return self.forget(sock.fileno())

    def peek(self, sock: socket.socket) -> int | None:
        with self._lock:
            return self._by_socket.get(sock.fileno())

    def forget(self, key: int) -> int | None:
        with self._lock:
            return self._by_socket.pop(key, None)

    def waiting(self, place: int | None) -> None:
        if place is not None:
            self.state[place] = time.time()

    def busy(self, place: int | None) -> None:
        if place is not None:
            self.state[place] = self.BUSY

    def free(self, place: int | None) -> None:
        if place is not None:
            self.state[place] = self.FREE

    def longest_waiting(self) -> int | None:
        waiting = [(since, place) for place, since in enumerate(self.state) if since > 0]
        return min(waiting)[1] if waiting else None


class _MllpServerBase(socketserver.TCPServer):
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        *,
        user_id: int,
        max_connections: int = 40,
        idle_timeout: float | None = None,
        **kwargs: Any,
    ) -> None:
        self.user_id = user_id
        self.places = Places(max(1, max_connections))
        self.idle_timeout = float(
            idle_timeout if idle_timeout is not None else settings.MLLP_IDLE_TIMEOUT_SECONDS
        )
        super().__init__(address, MllpHandler, **kwargs)

    def admit(self, request: socket.socket) -> None:
        """Gives a new connection a place, first closing the longest idle one at the cap."""
        if self.places.take(request) is None:
            self.make_room()
            # Served even if no place came free (all busy with a message): it then
            # has no place, and is never the one closed to make room.
            self.places.take(request)

    def make_room(self) -> None:
        """At the cap: closes the connection that has waited longest for a message."""
        place = self.places.longest_waiting()
        if place is None:
            return
        logger.info("MLLP at %s connections: closing the longest idle one", self.places.cap)
        self.close_place(place)
        deadline = time.monotonic() + 2
        while self.places.state[place] != Places.FREE and time.monotonic() < deadline:
            time.sleep(0.01)

    def close_place(self, place: int) -> None:
        raise NotImplementedError

    def process(self, payload: bytes, user: User, peer: str | None) -> list[str]:
        """One ACK per message in the frame (a batch has several), in order."""
        close_old_connections()
        context = RequestContext(source=AuditSource.HL7, ip_address=peer, path="mllp")
        try:
            # This connection does intake only: its lock limit is set once, not per message.
            limit_session_lock_waits(settings.HL7_LOCK_TIMEOUT_MS)
            with request_context(context):
                answer = adt_receive_payload(actor=user, payload=payload, channel=AdtChannel.MLLP)
                return list(answer.acks)
        except Exception:
            logger.exception("MLLP message could not be processed")
            return [
                # AR: failed for a reason unrelated to the content; the engine resends.
                build_ack(
                    Header(),
                    code="AR",
                    text="Internal error; send the message again later.",
                    error_code="207",
                )
            ]

    def refuse_oversized(self, head: bytes, size: int, user: User, peer: str | None) -> str:
        close_old_connections()
        context = RequestContext(source=AuditSource.HL7, ip_address=peer, path="mllp")
        with request_context(context):
            return adt_refuse_oversized(actor=user, size=size, head=head, channel=AdtChannel.MLLP)


class MllpServer(socketserver.ThreadingMixIn, _MllpServerBase):
    """A thread per connection, in this process."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], **kwargs: Any) -> None:
        super().__init__(address, **kwargs)
        self._sockets: dict[int, socket.socket] = {}

    def process_request(self, request: Any, client_address: Any) -> None:
        self.admit(request)
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        place = self.places.peek(request)
        if place is not None:
            self._sockets[place] = request
        try:
            super().process_request_thread(request, client_address)
        finally:
            if place is not None:
                self._sockets.pop(place, None)

    def close_place(self, place: int) -> None:
        sock = self._sockets.get(place)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # its recv returns: the handler ends
            except OSError:
                self.places.free(place)


class ForkingMllpServer(socketserver.ForkingMixIn, _MllpServerBase):
    """A process per connection, forked when the connection is accepted.

    The listening process itself never opens the database: close its
    connections before serving, so no child inherits one. Past
    `max_children` open connections, new ones wait until one closes.
    """

    def __init__(
        self, address: tuple[str, int], *, user_id: int, max_connections: int = 40, **kwargs: Any
    ) -> None:
        super().__init__(address, user_id=user_id, max_connections=max_connections, **kwargs)
        # One over the cap: the process of a connection closed to make room may
        # still be exiting; past that, the listener waits for one to end.
        self.max_children = max_connections + 1
        self._pids: dict[int, int] = {}

    def process_request(self, request: Any, client_address: Any) -> None:
        self._reap()
        self.admit(request)
        key = request.fileno()
        before = set(self.active_children or ())
        super().process_request(request, client_address)  # returns in the listener only
        place = self.places.forget(key)
        started = set(self.active_children or ()) - before
        if place is not None and started:
            self._pids[place] = started.pop()

    def _reap(self) -> None:
        self.collect_children()
        alive = self.active_children or set()
        for place, pid in list(self._pids.items()):
            if pid not in alive:
                self.places.free(place)
                del self._pids[place]

    def close_place(self, place: int) -> None:
        pid = self._pids.get(place)
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            self.places.free(place)

    def stop_children(self) -> None:
        """Asks every connection's process to stop; a message mid-way is rolled back, unACKed."""
        for pid in list(self.active_children or ()):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
