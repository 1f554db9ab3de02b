"""Password hashing and the password policy (pure: no database, no clock).

Hashing: Argon2id via argon2-cffi at m=19456 KiB (19 MiB), t=2, p=1, the first row of
the OWASP Password Storage Cheat Sheet (ASVS 5.0 V11.4.2). Why Argon2id and not scrypt
(N=2^17, r=8, p=1), the other option the issue allows:

* it is the cheat sheet's first choice, memory-hard and side-channel resistant;
* at these parameters one hash takes ~30 ms and 19 MiB here, while scrypt at 2^17 took
  ~0.35 s and 128 MiB per hash: a server handling a login burst can afford Argon2id,
  and the dummy-hash verification that equalises failure timing costs the same;
* argon2-cffi stores the standard PHC string (``$argon2id$v=19$m=...,t=...,p=...$``),
  so :meth:`PasswordHasher.needs_rehash` can tell old parameters apart and logins
  upgrade stored hashes when the parameters change; ``hashlib.scrypt`` has no such
  string format and needs ``maxmem`` tuning.

Policy (ASVS 5.0 6.2.x): at least 8 characters (configurable), at least 64 allowed,
never truncated, never case-folded, no composition rules, refused when on the shipped
list of common passwords or equal to the login name. Passwords are NFC-normalised before
hashing, so the same text typed on two keyboards that compose accents differently
verifies the same (NFC only merges canonically identical text; it folds nothing else).
"""

from __future__ import annotations

import contextlib
import functools
import unicodedata
from dataclasses import dataclass
from importlib import resources

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from pocketsync.accounts.errors import PasswordPolicyError
from pocketsync.accounts.model import Secret

__all__ = [
    "OWASP_ARGON2ID",
    "Argon2Params",
    "PasswordHasher",
    "PasswordPolicy",
    "common_passwords",
    "normalize_password",
]


@dataclass(frozen=True, slots=True)
class Argon2Params:
    """Argon2id cost parameters: memory in KiB, iterations, lanes."""

    memory_kib: int = 19_456
    time_cost: int = 2
    parallelism: int = 1


OWASP_ARGON2ID = Argon2Params()


def normalize_password(password: Secret) -> Secret:
    """The password in NFC, the form that is hashed and measured."""
    return Secret(unicodedata.normalize("NFC", password.reveal()))


class PasswordHasher:
    """Argon2id hashing with standard PHC strings; verification never raises."""

    __slots__ = ("_dummy", "_hasher", "params")

    def __init__(self, params: Argon2Params = OWASP_ARGON2ID) -> None:
        self.params = params
        self._hasher = argon2.PasswordHasher(
            time_cost=params.time_cost,
            memory_cost=params.memory_kib,
            parallelism=params.parallelism,
            type=argon2.Type.ID,
        )
        # A hash of a random-looking constant at the current parameters: unknown users
        # are verified against it so every failed login costs one Argon2 run.
        self._dummy = self._hasher.hash("pocketsync dummy password for timing equalisation")

    def hash(self, password: Secret) -> str:
        """Hash ``password`` (NFC-normalised) into a PHC string with a fresh salt."""
        return self._hasher.hash(normalize_password(password).reveal())

    def verify(self, encoded: str | None, password: Secret) -> bool:
        """True when ``password`` matches ``encoded``.

        With ``encoded=None`` (no such user, or no password set yet) the dummy hash is
        verified instead and the answer is False, so the time spent is the same.
        Malformed hashes count as a mismatch.
        """
        plain = normalize_password(password).reveal()
        if encoded is None:
            with contextlib.suppress(VerificationError):
                self._hasher.verify(self._dummy, plain)
            return False
        try:
            return self._hasher.verify(encoded, plain)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, encoded: str) -> bool:
        """True when ``encoded`` was made with other parameters (or another type)."""
        try:
            return self._hasher.check_needs_rehash(encoded)
        except InvalidHashError:
            return True


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped common-password list (lower case); see the file's first line for its source."""
    text = (
        resources.files("pocketsync.accounts").joinpath("common_passwords.txt").read_text("utf-8")
    )
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """Which new passwords are accepted.

    ``max_length`` only bounds hashing work (it must allow at least 64); longer
    passwords are refused, never truncated.
    """

    min_length: int = 8
    max_length: int = 256
    check_common: bool = True

    def __post_init__(self) -> None:
        if self.min_length < 1 or self.max_length < max(64, self.min_length):
            raise ValueError("password policy must allow 64 characters and need at least 1")

    def check(self, password: Secret, *, login: str | None = None) -> None:
        """Accept ``password`` or raise.

        Length counts Unicode code points after NFC normalisation. The common-password
        and login-name checks compare case-insensitively, which only widens what is
        refused; the password itself is hashed exactly as typed.

        Raises:
            PasswordPolicyError: too short, too long, common, or equal to the login name.
        """
        value = normalize_password(password).reveal()
        if len(value) < self.min_length:
            raise PasswordPolicyError(
                f"The password must have at least {self.min_length} characters."
            )
        if len(value) > self.max_length:
            raise PasswordPolicyError(
                f"The password must have at most {self.max_length} characters."
            )
        folded = value.casefold()
        if self.check_common and folded in common_passwords():
            raise PasswordPolicyError("The password is too common; choose another.")
        if login is not None and folded == login.strip().casefold():
            raise PasswordPolicyError("The password must not be the login name.")
