"""The MLLP door over real TCP sockets: framing, one ACK per message, the command itself."""

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import hl7
import pytest
from django.db import connection
from django.utils import timezone

from apps.interop.mllp import END_BLOCK, START_BLOCK, MllpServer, frame
from apps.interop.models import AdtChannel, AdtMessage
from apps.transitions.models import Handoff, HandoffKind
from tests import workers
from tests.interop.messages import adt

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def private_queue(transactional_db) -> Iterator[str]:
    """Follow-up jobs enqueued by these committed discharges go to a queue removed after."""
    with workers.private_queue("test-interop") as queue:
        yield queue


@pytest.fixture
def server(private_queue, interface) -> Iterator[MllpServer]:
    mllp = MllpServer(("127.0.0.1", 0), user_id=interface.pk)
    thread = threading.Thread(target=mllp.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield mllp
    finally:
        mllp.shutdown()
        mllp.server_close()
        thread.join(5)


def read_acks(sock: socket.socket, count: int, timeout: float = 10) -> list[str]:
    sock.settimeout(timeout)
    buffer = b""
    acks: list[str] = []
    while len(acks) < count:
        chunk = sock.recv(65536)
        if not chunk:
            break
        buffer += chunk
        while END_BLOCK in buffer:
            head, _, buffer = buffer.partition(END_BLOCK)
            assert head.startswith(START_BLOCK)
            acks.append(head[1:].decode())
    return acks


def msa(ack: str) -> tuple[str, str]:
    segment = hl7.parse(ack).segment("MSA")
    return str(segment[1]), str(segment[2])


def test_each_framed_message_gets_its_own_ack_in_order(server, known_patient, nurse):
    port = server.server_address[1]
    discharge = adt("A03", control_id="M2", discharged_at=timezone.now(), disposition="01")
    messages = [adt("A01", control_id="M1"), discharge, discharge]
    with socket.create_connection(("127.0.0.1", port)) as sock:
        # Two frames in one write, the third split across writes.
        sock.sendall(frame(messages[0]) + frame(messages[1]))
        third = frame(messages[2])
        sock.sendall(third[:25])
        time.sleep(0.1)
        sock.sendall(third[25:])
        acks = read_acks(sock, 3)
    assert [msa(ack) for ack in acks] == [("AA", "M1"), ("AA", "M2"), ("AA", "M2")]
    assert acks[1] == acks[2]  # the duplicate gets the stored ACK
    assert Handoff.objects.filter(kind=HandoffKind.DISCHARGE).count() == 1
    assert set(AdtMessage.objects.values_list("channel", flat=True)) == {AdtChannel.MLLP}


def test_garbage_between_frames_is_skipped_and_a_bad_message_gets_ar(server, known_patient, caplog):
    port = server.server_address[1]
    with (
        caplog.at_level("WARNING", logger="apps.interop.mllp"),
        socket.create_connection(("127.0.0.1", port)) as sock,
    ):
        sock.sendall(
            b"Garcia noise"
            + frame("not an hl7 message")
            + b"\r\n"
            + frame(adt("A08", control_id="G2"))
        )
        acks = read_acks(sock, 2)
    assert msa(acks[0])[0] == "AR"
    assert msa(acks[1]) == ("AA", "G2")
    # Said in the log (a sender without framing gets no ACK), without the bytes themselves.
    skipped = [r.getMessage() for r in caplog.records if "outside a frame" in r.getMessage()]
    assert skipped == ["MLLP: 12 bytes outside a frame from 127.0.0.1 discarded"]
    assert not any("Garcia" in record.getMessage() for record in caplog.records)


def test_two_connections_at_once_are_served(server, known_patient):
    port = server.server_address[1]
    results: list[str] = []

    def send(control_id: str) -> None:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(frame(adt("A08", control_id=control_id)))
            results.extend(read_acks(sock, 1))

    threads = [threading.Thread(target=send, args=(f"T{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(msa(ack)[1] for ack in results) == ["T0", "T1", "T2", "T3"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_listener(port: int, *arguments: str) -> subprocess.Popen[str]:
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:"
            f"{database['PORT']}/{database['NAME']}"
        ),
        "DATABASE_CONN_MAX_AGE": "0",
        "DATABASE_PREPARE_THRESHOLD": "2",  # as docker-compose.yml runs it
    }
    process = subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
        [
            sys.executable,
            "manage.py",
            "mllp_listen",
            "--port",
            str(port),
            "--user",
            "hl7",
            *arguments,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert f"MLLP listening on 127.0.0.1:{port}" in line, line + process.stdout.read()
    return process


def test_mllp_listen_command_answers_over_tcp(private_queue, interface, known_patient, nurse):
    port = _free_port()
    process = _start_listener(port)
    try:
        acks = []
        for control_id in ("CMD1", "CMD2", "CMD3"):  # one connection (and process) each
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(frame(adt("A08" if acks else "A01", control_id=control_id)))
                acks.extend(read_acks(sock, 1))
        assert [msa(ack) for ack in acks] == [("AA", "CMD1"), ("AA", "CMD2"), ("AA", "CMD3")]
        assert Handoff.objects.filter(episode__patient=known_patient).count() == 1
    finally:
        process.terminate()
        process.wait(10)
    assert process.returncode == 0


def test_mllp_listen_serves_feeds_side_by_side_and_stops_with_them_open(
    private_queue, interface, known_patient, nurse
):
    """A connection idle between messages neither blocks another feed nor the shutdown."""
    port = _free_port()
    process = _start_listener(port)
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=10) as first,
            socket.create_connection(("127.0.0.1", port), timeout=10) as second,
        ):
            second.sendall(frame(adt("A01", control_id="SIDE2")))
            first.sendall(frame(adt("A08", control_id="SIDE1")))
            assert msa(read_acks(first, 1)[0]) == ("AA", "SIDE1")
            assert msa(read_acks(second, 1)[0]) == ("AA", "SIDE2")
            process.terminate()  # both connections still open
            process.wait(10)
            assert first.recv(1) == b""  # their processes are gone too
            assert second.recv(1) == b""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    assert process.returncode == 0
    assert AdtMessage.objects.filter(control_id__in=["SIDE1", "SIDE2"]).count() == 2


def test_the_same_message_sent_twice_at_once_is_applied_once(
    private_queue, interface, known_patient, nurse
):
    from django.db import connection as thread_connection

    from apps.interop.services import adt_receive

    adt_receive(actor=interface, raw=adt("A01", control_id="RACE0"))
    raw = adt("A03", control_id="RACE1", discharged_at=timezone.now(), disposition="01")
    barrier = threading.Barrier(2)
    acks: list[str] = []

    def send() -> None:
        try:
            barrier.wait(5)
            acks.append(adt_receive(actor=interface, raw=raw).ack)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(acks) == 2
    assert acks[0] == acks[1]
    assert msa(acks[0]) == ("AA", "RACE1")
    assert Handoff.objects.filter(kind=HandoffKind.DISCHARGE).count() == 1
    assert AdtMessage.objects.filter(control_id="RACE1").count() == 1


# What arrives between and inside frames on a bad line: noise, stray framing bytes,
# frames whose payload is not HL7, and frames cut before their end block.
_STREAM_PIECES = [
    b"noise",
    b"\r\n",
    b"\x1c\r",
    b"\x0b",
    b"\x0b\x1c\r",
    frame("not hl7"),
    frame("MSH|"),
    frame("MSH^~\\&|X"),
    b"\x0b" + adt("A08", control_id="CUT")[:40].encode(),
    START_BLOCK + b"\xff\xfe\x00" + END_BLOCK,
]


def test_a_line_of_noise_and_broken_frames_never_stops_the_next_message(server, known_patient):
    """Whatever came before on the connection, a good frame after it is answered AA."""
    import random

    port = server.server_address[1]
    shuffler = random.Random(7)  # a fixed shuffle, not a secret
    for round_number in range(12):
        pieces = shuffler.choices(_STREAM_PIECES, k=shuffler.randint(1, 6))
        good = adt("A08", control_id=f"AFTER{round_number}")
        with socket.create_connection(("127.0.0.1", port)) as sock:
            # An unterminated frame swallows what follows up to the next end block.
            sock.sendall(b"".join(pieces) + END_BLOCK + frame(good))
            acks = _acks_until(sock, f"AFTER{round_number}")
        assert msa(acks[-1]) == ("AA", f"AFTER{round_number}"), pieces
        assert all(msa(ack)[0] in {"AA", "AE", "AR"} for ack in acks), pieces


def _acks_until(sock: socket.socket, control_id: str) -> list[str]:
    """Every ACK frame up to the one answering `control_id` (or until 5 s of silence)."""
    sock.settimeout(5)
    buffer = b""
    acks: list[str] = []
    while not acks or msa(acks[-1])[1] != control_id:
        chunk = sock.recv(65536)
        assert chunk, f"closed before answering {control_id}: {acks}"
        buffer += chunk
        while END_BLOCK in buffer:
            head, _, buffer = buffer.partition(END_BLOCK)
            acks.append(head[1:].decode())
    return acks
