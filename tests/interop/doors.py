"""Both ADT doors behind one small interface, so a behaviour is tested over HTTP and MLLP alike."""

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import hl7
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.interop.mllp import END_BLOCK, START_BLOCK, MllpServer

URL = "/api/v1/hl7/adt"
ER7 = "x-application/hl7-v2+er7"
ENVELOPE = ("FHS", "BHS", "BTS", "FTS")


@dataclass(frozen=True)
class Reply:
    """What the sender got back: the HTTP status (200 on MLLP) and the ACK messages."""

    status: int
    acks: list[str]
    body: bytes = b""
    closed: bool = False


def split_acks(text: str) -> list[str]:
    """The ACK messages in a reply, batch envelope segments left out."""
    acks: list[str] = []
    for segment in text.replace("\r\n", "\r").replace("\n", "\r").split("\r"):
        if not segment or segment.startswith(ENVELOPE):
            continue
        if segment.startswith("MSH") or not acks:
            acks.append(segment + "\r")
        else:
            acks[-1] += segment + "\r"
    return acks


def msa(ack: str) -> tuple[str, str, str]:
    segment = hl7.parse(ack).segment("MSA")
    text = str(segment[3]) if len(segment) > 3 else ""
    return str(segment[1]), str(segment[2]), text


def as_bytes(payload: str | bytes) -> bytes:
    return payload.encode("utf-8") if isinstance(payload, str) else payload


class HttpDoor:
    name = "http"

    def __init__(self, interface: User) -> None:
        self.client = APIClient()
        self.client.force_authenticate(interface)

    def send(self, payload: str | bytes, expect: int = 1, content_type: str = ER7) -> Reply:
        response = self.client.generic("POST", URL, as_bytes(payload), content_type=content_type)
        acks = split_acks(response.content.decode()) if response.status_code == 200 else []
        return Reply(status=response.status_code, acks=acks, body=response.content)


class MllpDoor:
    name = "mllp"

    def __init__(self, port: int) -> None:
        self.port = port

    def send(self, payload: str | bytes, expect: int = 1) -> Reply:
        """One frame on a fresh connection; reads `expect` ACK frames (fewer if it closes)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=20) as sock:
            sock.sendall(START_BLOCK + as_bytes(payload) + END_BLOCK)
            acks, closed = read_frames(sock, expect)
        return Reply(status=200, acks=acks, closed=closed)


def read_frames(sock: socket.socket, count: int) -> tuple[list[str], bool]:
    buffer = b""
    frames: list[str] = []
    closed = False
    while len(frames) < count:
        chunk = sock.recv(65536)
        if not chunk:
            closed = True
            break
        buffer += chunk
        while END_BLOCK in buffer:
            head, _, buffer = buffer.partition(END_BLOCK)
            assert head.startswith(START_BLOCK)
            frames.append(head[1:].decode())
    return frames, closed


@contextlib.contextmanager
def mllp_serving(interface: User) -> Iterator[MllpServer]:
    server = MllpServer(("127.0.0.1", 0), user_id=interface.pk)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
