"""Run the reference server as a subprocess: set it up, start it on a free loopback port,
stop it. Used by the demo and by the end-to-end tests, so both exercise the real
``pocketsync-server`` commands a new user would type.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

__all__ = ["ServerProcess", "ServerSetup", "free_port", "prepare_server", "server_command"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the OS picked it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command() -> list[str]:
    """The ``pocketsync-server`` console script next to this interpreter, or the module."""
    script = Path(sys.executable).with_name("pocketsync-server")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "server_ref.cli"]


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POCKETSYNC_")}
    env["POCKETSYNC_DATA_DIR"] = str(data_dir)
    return env


def run_server_command(data_dir: Path, *args: str, stdin: str | None = None) -> str:
    """Run ``pocketsync-server <args>`` on ``data_dir``; return its standard output.

    Raises:
        RuntimeError: the command failed (its standard error is in the message).
    """
    done = subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [*server_command(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=_env(data_dir),
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"pocketsync-server {args[0]} failed: {done.stderr.strip()}")
    return done.stdout


@dataclass(frozen=True, slots=True)
class ServerSetup:
    """A prepared server data folder: the public key apps pin and the administrator."""

    data_dir: Path
    public_key_hex: str
    admin_login: str
    admin_password: str


def prepare_server(
    data_dir: Path, *, products: int, admin_login: str, admin_password: str
) -> ServerSetup:
    """``migrate``, ``keygen``, ``create-admin`` and ``seed-demo-catalog`` on ``data_dir``.

    Raises:
        RuntimeError: a command failed.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    run_server_command(data_dir, "migrate")
    public_key = run_server_command(data_dir, "keygen").strip().splitlines()[-1]
    run_server_command(
        data_dir, "create-admin", "--login", admin_login, "--password-stdin",
        stdin=admin_password + "\n",
    )  # fmt: skip
    run_server_command(data_dir, "seed-demo-catalog", "--products", str(products))
    return ServerSetup(data_dir, public_key, admin_login, admin_password)


class ServerProcess:
    """``pocketsync-server serve`` on 127.0.0.1:``port`` as a child process.

    :meth:`start` returns once ``/healthz`` answers; :meth:`stop` ends it (SIGTERM, then
    SIGKILL) and may be called any number of times; ``with`` stops it on the way out.
    """

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.log_path = data_dir / "serve.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 30.0) -> ServerProcess:
        """Start the server and wait until it answers.

        Raises:
            RuntimeError: it exited or did not answer within ``timeout_s``.
        """
        if self._proc is not None and self._proc.poll() is None:
            return self
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(  # noqa: S603 - our own console script
                [*server_command(), "serve", "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_env(self.data_dir),
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"the server exited; see {self.log_path}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(self.url + "/healthz", timeout=1.0).status_code == 200:
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the server did not answer within {timeout_s} s; see {self.log_path}")

    def stop(self) -> None:
        """Stop the server if it runs (SIGTERM, then SIGKILL after 10 s)."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
