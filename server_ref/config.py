"""Server configuration: environment variables, overridden by command-line options.

Every setting has an environment variable (``POCKETSYNC_...``) and a default that works
on a fresh clone: a SQLite database and the signing key in ``./pocketsync-data``.

===============================  ===========================================  ==========
variable                         meaning                                      default
===============================  ===========================================  ==========
``POCKETSYNC_DATA_DIR``          folder for the defaults below                ``./pocketsync-data``
``POCKETSYNC_DATABASE_URL``      SQLAlchemy URL (SQLite or PostgreSQL)        ``sqlite:///<data>/server.db``
``POCKETSYNC_SIGNING_KEY_FILE``  Ed25519 seed written by ``keygen``           ``<data>/signing.key``
``POCKETSYNC_HOST``              bind address                                 ``127.0.0.1``
``POCKETSYNC_PORT``              bind port                                    ``8080``
``POCKETSYNC_MAIL_OUTBOX``       folder the development mailer writes to      ``<data>/outbox``
``POCKETSYNC_RESET_URL``         reset link, ``{token}`` is replaced          the shop's page
``POCKETSYNC_COOKIE_SECURE``     ``auto`` (by scheme), ``true`` or ``false``  ``auto``
===============================  ===========================================  ==========
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, cast

from pocketsync.errors import ConfigurationError

__all__ = ["DEFAULT_DATA_DIR", "ServerConfig"]

DEFAULT_DATA_DIR = Path("pocketsync-data")
CookieSecure = Literal["auto", "true", "false"]

KIB = 1024


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Everything the server needs to start. Build with :meth:`from_env`."""

    database_url: str
    signing_key_file: Path
    mail_outbox: Path
    host: str = "127.0.0.1"
    port: int = 8080
    reset_url: str = "https://shop.example/password-reset?token={token}"
    cookie_secure: CookieSecure = "auto"
    #: the key file is the default one (``serve`` may create it on a fresh clone)
    default_key_file: bool = False
    max_json_bytes: int = 64 * KIB
    max_push_bytes: int = 4 * KIB * KIB
    shop_name: str = "the shop"

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, **overrides: str | int | None
    ) -> ServerConfig:
        """The configuration from ``env`` (default ``os.environ``); non-None overrides win.

        Override names are the lower-case variable names without the prefix
        (``database_url``, ``signing_key_file``, ``host``, ``port``, ``data_dir``, ...).

        Raises:
            ConfigurationError: a value is malformed (a port that is not a number, ...).
        """
        source = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = overrides.get(name)
            if value is not None:
                return str(value)
            return source.get("POCKETSYNC_" + name.upper()) or None

        data_dir = Path(get("data_dir") or DEFAULT_DATA_DIR)
        key_file = get("signing_key_file")
        port_text = get("port") or "8080"
        try:
            port = int(port_text)
        except ValueError:
            raise ConfigurationError(f"port must be a number, not {port_text!r}") from None
        if not 0 <= port <= 65535:
            raise ConfigurationError(f"port {port} is out of range")
        secure = (get("cookie_secure") or "auto").lower()
        if secure not in ("auto", "true", "false"):
            raise ConfigurationError("cookie_secure must be auto, true or false")
        config = cls(
            database_url=get("database_url") or f"sqlite:///{data_dir / 'server.db'}",
            signing_key_file=Path(key_file) if key_file else data_dir / "signing.key",
            mail_outbox=Path(get("mail_outbox") or data_dir / "outbox"),
            host=get("host") or "127.0.0.1",
            port=port,
            cookie_secure=cast(CookieSecure, secure),
            default_key_file=key_file is None,
        )
        reset_url = get("reset_url")
        if reset_url:
            if "{token}" not in reset_url:
                raise ConfigurationError("reset_url must contain {token}")
            config = replace(config, reset_url=reset_url)
        return config

    def ensure_data_dirs(self) -> None:
        """Create the folders of the SQLite file, the key file and the outbox."""
        url = self.database_url
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.signing_key_file.parent.mkdir(parents=True, exist_ok=True)
        self.mail_outbox.mkdir(parents=True, exist_ok=True)

    @property
    def outbox_file(self) -> Path:
        """The file the development mailer appends messages (reset links) to."""
        return self.mail_outbox / "mail.txt"
