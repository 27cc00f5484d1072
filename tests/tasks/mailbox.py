"""Email backends for tests that send from several threads or processes.

`FolderEmailBackend` (for worker processes) writes one file per message in
CG_TEST_MAIL_DIR: Django's locmem outbox lives in one process, a folder can be
counted across several, so a test sees every email any worker really sent.
"""

import email
import os
import time
import uuid
from collections.abc import Sequence
from email.message import Message
from pathlib import Path
from smtplib import SMTPRecipientsRefused, SMTPServerDisconnected

from django.core.mail.backends import locmem
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage

FOLDER_BACKEND = "tests.tasks.mailbox.FolderEmailBackend"
SLOW_LOCMEM_BACKEND = "tests.tasks.mailbox.SlowLocmemEmailBackend"


class FolderEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = Path(os.environ["CG_TEST_MAIL_DIR"])
        for message in email_messages:
            name = uuid.uuid4().hex
            # Written aside and renamed, so a reader never sees half a message.
            (folder / f"{name}.tmp").write_bytes(message.message().as_bytes())
            (folder / f"{name}.tmp").rename(folder / f"{name}.eml")
        return len(email_messages)


class SlowLocmemEmailBackend(locmem.EmailBackend):
    """Django's test outbox behind a mail server that takes a moment per message, so two
    jobs sending at once overlap for real instead of one finishing before the other starts."""

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        time.sleep(0.005 * len(messages))
        return super().send_messages(messages)


def sent(folder: Path) -> list[Message]:
    """The messages FolderEmailBackend wrote to `folder`."""
    return [email.message_from_bytes(path.read_bytes()) for path in sorted(folder.glob("*.eml"))]


REFUSING_BACKEND = "tests.tasks.mailbox.RefusingLocmemEmailBackend"
REFUSED_ADDRESS = "gone@example.org"
FLAKY_BACKEND = "tests.tasks.mailbox.FlakyLocmemEmailBackend"
flaky_failures: list[str] = []


class RefusingLocmemEmailBackend(locmem.EmailBackend):
    """Django's test outbox behind a mail server that refuses one address, as an SMTP
    server answering 550 to RCPT TO does (smtplib raises SMTPRecipientsRefused)."""

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        for message in messages:
            if REFUSED_ADDRESS in message.to:
                raise SMTPRecipientsRefused({REFUSED_ADDRESS: (550, b"No such user")})
        return super().send_messages(messages)


class FlakyLocmemEmailBackend(locmem.EmailBackend):
    """A mail server that drops the connection once for each address in `flaky_failures`."""

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        for message in messages:
            for address in message.to:
                if address in flaky_failures:
                    flaky_failures.remove(address)
                    raise SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)
