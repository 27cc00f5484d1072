"""Idle MLLP connections cannot lock feeds out: an idle timeout, and room made at the cap."""

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from apps.interop.mllp import MllpServer, frame
from tests import workers
from tests.interop.doors import msa
from tests.interop.messages import adt
from tests.interop.test_mllp import _free_port, _start_listener, read_acks


@pytest.fixture
def private_queue(transactional_db) -> Iterator[str]:
    with workers.private_queue("test-interop") as queue:
        yield queue


@pytest.fixture
def small_server(private_queue, interface) -> Iterator[MllpServer]:
    mllp = MllpServer(("127.0.0.1", 0), user_id=interface.pk, max_connections=2, idle_timeout=1)
    thread = threading.Thread(target=mllp.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield mllp
    finally:
        mllp.shutdown()
        mllp.server_close()
        thread.join(5)


def _idle_connections(port: int, count: int) -> list[socket.socket]:
    """`count` feeds that each sent a message, got its ACK and then fell silent."""
    feeds = []
    for number in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(frame(adt("A08", control_id=f"IDLE{number}")))
        assert msa(read_acks(sock, 1)[0])[0] == "AA"
        feeds.append(sock)
    return feeds


def test_a_connection_silent_past_the_idle_timeout_is_closed(small_server, known_patient):
    port = small_server.server_address[1]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        started = time.monotonic()
        assert sock.recv(1) == b""  # closed by the server
    assert time.monotonic() - started < 5


def test_idle_connections_at_the_cap_do_not_keep_a_new_feed_waiting(
    private_queue, interface, known_patient, nurse
):
    port = _free_port()
    process = _start_listener(port, "--max-connections", "2")
    feeds: list[socket.socket] = []
    try:
        feeds = _idle_connections(port, 2)
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=5) as newcomer:
            newcomer.sendall(frame(adt("A01", control_id="NEW1")))
            ack = read_acks(newcomer, 1, timeout=5)
        assert msa(ack[0])[:2] == ("AA", "NEW1")
        assert time.monotonic() - started < 5
        # The feed idle longest made the room; it reconnects when it next sends.
        feeds[0].settimeout(5)
        assert feeds[0].recv(1) == b""
    finally:
        for sock in feeds:
            sock.close()
        process.terminate()
        process.wait(10)
