"""Argon2id hashing at OWASP parameters and the password policy (S11, S12)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pocketsync.accounts import (
    Argon2Params,
    PasswordHasher,
    PasswordPolicy,
    PasswordPolicyError,
    Secret,
)
from pocketsync.accounts.passwords import common_passwords


def test_real_parameters_and_phc_string(real_hasher: PasswordHasher) -> None:
    encoded = real_hasher.hash(Secret("correct horse battery staple"))
    assert encoded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert real_hasher.verify(encoded, Secret("correct horse battery staple"))
    assert not real_hasher.verify(encoded, Secret("correct horse battery stapl"))
    assert not real_hasher.needs_rehash(encoded)


def test_old_parameters_need_rehash(
    real_hasher: PasswordHasher, fast_hasher: PasswordHasher
) -> None:
    old = fast_hasher.hash(Secret("some passphrase"))
    assert real_hasher.needs_rehash(old)
    assert real_hasher.verify(old, Secret("some passphrase"))  # still verifies before rehash
    assert real_hasher.needs_rehash("not a hash")


def test_no_truncation_and_no_case_folding(fast_hasher: PasswordHasher) -> None:
    long = "Ab" * 60  # 120 characters, past bcrypt's 72-byte limit
    encoded = fast_hasher.hash(Secret(long))
    assert fast_hasher.verify(encoded, Secret(long))
    assert not fast_hasher.verify(encoded, Secret(long[:72]))
    assert not fast_hasher.verify(encoded, Secret(long[:-1] + "c"))
    assert not fast_hasher.verify(encoded, Secret(long.lower()))
    assert not fast_hasher.verify(encoded, Secret(long.upper()))


def test_canonically_equal_text_verifies(fast_hasher: PasswordHasher) -> None:
    composed = unicodedata.normalize("NFC", "Crème brûlée à volonté")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert fast_hasher.verify(fast_hasher.hash(Secret(composed)), Secret(decomposed))


def test_missing_or_broken_hash_is_a_mismatch(fast_hasher: PasswordHasher) -> None:
    assert not fast_hasher.verify(None, Secret("anything at all"))
    assert not fast_hasher.verify("$argon2id$garbage", Secret("anything at all"))


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("", False),
        ("seven77", False),
        ("eight888", False),  # 8 characters but on the common list
        ("Tk9#mq2v", True),
        ("x" * 64, True),
        ("y" * 256, True),
        ("z" * 257, False),
        ("password", False),  # on the common list
        ("PassWord1", False),  # the list check ignores case
        ("iloveyou", False),
        ("buyer@example.com", False),  # equals the login
        ("        ", True),  # no composition rules: spaces are characters
        ("aaaaaaaa bbbb", True),
        ("пароль-длинный", True),
    ],
)
def test_policy_table(password: str, ok: bool) -> None:
    policy = PasswordPolicy()
    if ok:
        policy.check(Secret(password), login="Buyer@Example.com")
    else:
        with pytest.raises(PasswordPolicyError) as info:
            policy.check(Secret(password), login="Buyer@Example.com")
        assert info.value.code == "password_policy"
        assert info.value.status_hint == 400


def test_policy_is_configurable_but_must_allow_64() -> None:
    PasswordPolicy(min_length=15).check(Secret("fifteen chars!!"))
    with pytest.raises(PasswordPolicyError):
        PasswordPolicy(min_length=15).check(Secret("fourteen chars"))
    with pytest.raises(ValueError, match="64"):
        PasswordPolicy(max_length=63)
    PasswordPolicy(check_common=False).check(Secret("password"))


def test_common_list_is_shipped_with_its_source() -> None:
    from importlib import resources

    text = (
        resources.files("pocketsync.accounts").joinpath("common_passwords.txt").read_text("utf-8")
    )
    assert text.startswith("# Source: zxcvbn")
    words = common_passwords()
    assert len(words) >= 3000
    assert "123456" in words
    assert "trustno1" in words
    assert all(w == w.strip() and w for w in words)


@settings(max_examples=25, deadline=None)
@given(st.text(min_size=8, max_size=80))
def test_any_accepted_password_round_trips(fast_hasher: PasswordHasher, text: str) -> None:
    encoded = fast_hasher.hash(Secret(text))
    assert fast_hasher.verify(encoded, Secret(text))


def test_hasher_params_injectable() -> None:
    h = PasswordHasher(Argon2Params(memory_kib=2048, time_cost=1))
    assert h.hash(Secret("x" * 10)).startswith("$argon2id$v=19$m=2048,t=1,p=1$")
