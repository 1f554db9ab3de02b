"""Development mailers write the link where a developer can use it, and hide it from repr."""

from __future__ import annotations

import io
import stat
from pathlib import Path

from pocketsync.accounts import ConsoleMailer, FileMailer, MailMessage, MemoryMailer

MSG = MailMessage(
    to="a@example.com",
    subject="Reset",
    body="link: https://x/?token=SECRET",
    link="https://x/?token=SECRET",
)


def test_console_mailer_writes_message() -> None:
    out = io.StringIO()
    ConsoleMailer(out).send(MSG)
    assert "To: a@example.com" in out.getvalue()
    assert "token=SECRET" in out.getvalue()


def test_file_mailer_appends_privately(tmp_path: Path) -> None:
    path = tmp_path / "mail.txt"
    FileMailer(path).send(MSG)
    FileMailer(path).send(MSG)
    assert path.read_text().count("Subject: Reset") == 2
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_memory_mailer_and_repr() -> None:
    m = MemoryMailer()
    m.send(MSG)
    assert m.sent == [MSG]
    assert "SECRET" not in repr(MSG)
