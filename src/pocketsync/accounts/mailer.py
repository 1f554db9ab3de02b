"""How reset and invitation links reach users: an injected :class:`Mailer`.

The body of a message carries the one-time link, so it is kept out of ``repr`` and
never logged. :class:`ConsoleMailer` and :class:`FileMailer` are for development and
tests (they write the link where a developer can click it); production passes a
mailer that talks to its mail service, ideally queueing so that requesting a reset
takes the same time whether or not the account exists.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TextIO

__all__ = [
    "ConsoleMailer",
    "FileMailer",
    "MailMessage",
    "Mailer",
    "MemoryMailer",
]


@dataclass(frozen=True, slots=True)
class MailMessage:
    """One e-mail. ``link`` is the bare one-time URL, also embedded in ``body``."""

    to: str
    subject: str
    body: str = field(repr=False)
    link: str = field(repr=False)


class Mailer(Protocol):
    """Delivers :class:`MailMessage` values; may raise on delivery failure."""

    def send(self, message: MailMessage) -> None: ...


def _render(message: MailMessage) -> str:
    return f"To: {message.to}\nSubject: {message.subject}\n\n{message.body}\n"


class ConsoleMailer:
    """Writes each message to a text stream (stdout by default); development only."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def send(self, message: MailMessage) -> None:
        stream = self._stream if self._stream is not None else sys.stdout
        stream.write(_render(message) + "-" * 40 + "\n")
        stream.flush()


class FileMailer:
    """Appends each message to a file (created with mode 0600); development only."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def send(self, message: MailMessage) -> None:
        with self._lock:
            self.path.touch(mode=0o600, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(_render(message) + "-" * 40 + "\n")


class MemoryMailer:
    """Keeps messages in :attr:`sent` (tests and demos)."""

    def __init__(self) -> None:
        self.sent: list[MailMessage] = []

    def send(self, message: MailMessage) -> None:
        self.sent.append(message)
