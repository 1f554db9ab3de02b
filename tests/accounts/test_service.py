"""Customer login, per-request authentication, refresh, logout and password change."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from pocketsync.accounts import (
    AccountService,
    AccountSettings,
    AdminService,
    Argon2Params,
    CredentialsChanged,
    CurrentPasswordWrong,
    InvalidRequest,
    InvalidToken,
    LoginFailed,
    MemoryMailer,
    PasswordHasher,
    PasswordPolicyError,
    SessionEnded,
    SessionExpired,
    Throttled,
    ThrottlePolicy,
    TradeAccountsOnly,
)
from pocketsync.accounts.schema import account_sessions, account_users
from pocketsync.clock import FixedClock
from tests.accounts.conftest import PASSWORD

NEW_PASSWORD = "a brand new passphrase 42"


def test_login_on_both_channels_gives_principals(accounts: AccountService, make_account) -> None:
    acct = make_account()
    web = accounts.login(
        acct.login, PASSWORD, channel="web", device_id="browser-1", source="1.1.1.1"
    )
    app = accounts.login(acct.login, PASSWORD, channel="app", device_id="phone-1", source="2.2.2.2")
    p_web, p_app = accounts.authenticate(web.access_token), accounts.authenticate(app.access_token)
    assert (p_web.channel, p_web.device_id, p_web.user_id) == ("web", "browser-1", acct.user_id)
    assert (p_app.channel, p_app.device_id, p_app.customer_id) == (
        "app",
        "phone-1",
        acct.customer_id,
    )
    assert p_app.price_list_id.startswith("PL-")
    assert p_app.account_type == "b2b"
    assert p_web.session_id != p_app.session_id


def test_principal_says_which_customer_without_the_admin_side(
    accounts: AccountService, admin: AdminService, actor, make_account
) -> None:
    acct = make_account()
    tokens = accounts.login(acct.login, PASSWORD, channel="app", device_id="d", source="s")
    who = accounts.authenticate(tokens.access_token)
    customer = admin.get_customer(acct.customer_id)
    assert (who.customer_id, who.company_name, who.account_number) == (
        customer.customer_id,
        customer.company_name,
        customer.account_number,
    )
    admin.edit_customer(actor, acct.customer_id, company_name="Renamed Trade Ltd")
    assert accounts.authenticate(tokens.access_token).company_name == "Renamed Trade Ltd"


def test_login_name_is_case_insensitive(accounts: AccountService, make_account) -> None:
    acct = make_account(login="Buyer@Example.com")
    tokens = accounts.login(
        "  buyer@EXAMPLE.com", PASSWORD, channel="web", device_id="d", source="s"
    )
    assert accounts.authenticate(tokens.access_token).user_id == acct.user_id


@pytest.mark.parametrize("changer", ["web", "app"])
def test_password_change_in_one_channel_ends_the_other(
    accounts: AccountService, make_account, changer: str
) -> None:
    acct = make_account()
    tokens = {
        ch: accounts.login(acct.login, PASSWORD, channel=ch, device_id=f"{ch}-dev", source="s")
        for ch in ("web", "app")
    }
    other = "app" if changer == "web" else "web"
    renewed = accounts.change_password(tokens[changer].access_token, PASSWORD, NEW_PASSWORD)
    with pytest.raises(CredentialsChanged) as info:
        accounts.authenticate(tokens[other].access_token)
    assert info.value.code == "credentials_changed"
    assert info.value.status_hint == 401
    with pytest.raises(CredentialsChanged):
        accounts.refresh(tokens[other].refresh_token)
    # The changing session goes on with rotated tokens; its old ones are gone.
    assert accounts.authenticate(renewed.access_token).channel == changer
    with pytest.raises(InvalidToken):
        accounts.authenticate(tokens[changer].access_token)
    with pytest.raises(LoginFailed):
        accounts.login(acct.login, PASSWORD, channel=other, device_id="x", source="s")
    accounts.login(acct.login, NEW_PASSWORD, channel=other, device_id="x", source="s")


def test_change_password_needs_current_and_policy(accounts: AccountService, make_account) -> None:
    acct = make_account()
    t = accounts.login(acct.login, PASSWORD, channel="web", device_id="d", source="s")
    with pytest.raises(CurrentPasswordWrong):
        accounts.change_password(t.access_token, "not the password", NEW_PASSWORD)
    with pytest.raises(PasswordPolicyError):
        accounts.change_password(t.access_token, PASSWORD, "short")
    with pytest.raises(PasswordPolicyError):
        accounts.change_password(t.access_token, PASSWORD, PASSWORD)
    accounts.authenticate(t.access_token)  # nothing changed


def test_tokens_are_random_and_stored_only_as_hashes(
    accounts: AccountService, make_account, server_engine: Engine
) -> None:
    acct = make_account()
    t = accounts.login(acct.login, PASSWORD, channel="app", device_id="d", source="s")
    assert len(t.access_token) >= 43
    assert t.access_token != t.refresh_token
    with server_engine.connect() as conn:
        dump = repr(conn.execute(select(account_sessions)).all())
        dump += repr(conn.execute(select(account_users)).all())
    assert t.access_token not in dump
    assert t.refresh_token not in dump
    assert t.access_token not in repr(t)
    assert t.refresh_token not in repr(t)


def test_access_expiry_and_refresh(
    accounts: AccountService, make_account, clock: FixedClock
) -> None:
    acct = make_account()
    t = accounts.login(acct.login, PASSWORD, channel="app", device_id="d", source="s")
    assert t.access_expires_ms == clock.ms + 15 * 60_000
    clock.advance(15 * 60_000)
    with pytest.raises(SessionExpired):
        accounts.authenticate(t.access_token)
    t2 = accounts.refresh(t.refresh_token)
    assert t2.session_id == t.session_id
    assert t2.access_expires_ms == clock.ms + 15 * 60_000
    assert accounts.authenticate(t2.access_token).session_id == t.session_id
    with pytest.raises(InvalidToken):
        accounts.refresh(t.refresh_token)  # rotated away
    clock.advance(30 * 24 * 3_600_000)
    with pytest.raises(SessionExpired):
        accounts.refresh(t2.refresh_token)


def test_logout_ends_one_session(accounts: AccountService, make_account) -> None:
    acct = make_account()
    a = accounts.login(acct.login, PASSWORD, channel="app", device_id="phone", source="s")
    b = accounts.login(acct.login, PASSWORD, channel="web", device_id="browser", source="s")
    accounts.logout(a.access_token)
    with pytest.raises(SessionEnded):
        accounts.authenticate(a.access_token)
    with pytest.raises(SessionEnded):
        accounts.refresh(a.refresh_token)
    accounts.authenticate(b.access_token)
    accounts.logout(a.refresh_token)  # idempotent
    with pytest.raises(InvalidToken):
        accounts.logout("never-issued")


def test_new_login_on_same_device_replaces_session(accounts: AccountService, make_account) -> None:
    acct = make_account()
    first = accounts.login(acct.login, PASSWORD, channel="app", device_id="phone", source="s")
    second = accounts.login(acct.login, PASSWORD, channel="app", device_id="phone", source="s")
    assert second.access_token != first.access_token
    with pytest.raises(SessionEnded):
        accounts.authenticate(first.access_token)
    accounts.authenticate(second.access_token)


def test_b2c_refused_on_app_accepted_on_web(accounts: AccountService, make_account) -> None:
    acct = make_account(account_type="b2c")
    with pytest.raises(TradeAccountsOnly) as info:
        accounts.login(acct.login, PASSWORD, channel="app", device_id="phone", source="s")
    assert str(info.value) == "PocketShop is available for trade accounts"
    assert (info.value.code, info.value.status_hint) == ("trade_accounts_only", 403)
    web = accounts.login(acct.login, PASSWORD, channel="web", device_id="browser", source="s")
    assert accounts.authenticate(web.access_token).account_type == "b2c"


def test_b2c_refusal_does_not_reveal_account_without_password(
    accounts: AccountService, make_account
) -> None:
    acct = make_account(account_type="b2c")
    with pytest.raises(LoginFailed):
        accounts.login(acct.login, "wrong password!", channel="app", device_id="p", source="s")


def test_bad_channel_or_device(accounts: AccountService, make_account) -> None:
    acct = make_account()
    with pytest.raises(InvalidRequest):
        accounts.login(acct.login, PASSWORD, channel="tv", device_id="d", source="s")
    with pytest.raises(InvalidRequest):
        accounts.login(acct.login, PASSWORD, channel="app", device_id="", source="s")


def test_disabled_and_deleted_accounts_refused(
    accounts: AccountService, admin: AdminService, actor, make_account
) -> None:
    a, b, c = make_account(), make_account(), make_account()
    admin.set_user_active(actor, a.user_id, False)
    admin.set_customer_active(actor, b.customer_id, False)
    admin.delete_user(actor, c.user_id)
    for acct in (a, b, c):
        with pytest.raises(LoginFailed):
            accounts.login(acct.login, PASSWORD, channel="web", device_id="d", source="s")
    admin.set_user_active(actor, a.user_id, True)
    accounts.login(a.login, PASSWORD, channel="web", device_id="d", source="s")


def _failure(fn) -> tuple[type, str, str, tuple[object, ...], str, int]:  # type: ignore[no-untyped-def]
    with pytest.raises(LoginFailed) as info:
        fn()
    e = info.value
    return (type(e), str(e), repr(e), e.args, e.code, e.status_hint)


def _real_services(engine: Engine, clock: FixedClock, real_hasher: PasswordHasher):  # type: ignore[no-untyped-def]
    mailer = MemoryMailer()
    # Lenient throttles so that the timing test can take enough samples.
    lenient = ThrottlePolicy(free_failures=40, max_failures_per_window=50)
    settings = AccountSettings(account_throttle=lenient, source_throttle=lenient)
    return (
        AccountService(engine, clock=clock, mailer=mailer, hasher=real_hasher, settings=settings),
        AdminService(engine, clock=clock, mailer=mailer, hasher=real_hasher),
    )


class _CountingArgon2:
    """Delegates to argon2-cffi's hasher and counts the Argon2id verifications it runs."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.verifications = 0

    def verify(self, encoded: str, password: str) -> bool:
        self.verifications += 1
        return bool(self.inner.verify(encoded, password))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class CountingHasher(PasswordHasher):
    """The real hasher at the real parameters; counts Argon2id runs below its own logic."""

    def __init__(self) -> None:
        super().__init__()
        self.argon2 = _CountingArgon2(self._hasher)
        self._hasher = self.argon2  # type: ignore[assignment]

    @property
    def verifications(self) -> int:
        return self.argon2.verifications


def test_login_failures_identical_and_equal_in_work(
    server_engine: Engine, clock: FixedClock, actor
) -> None:
    # "Similar time" is checked by the work each path does, not by a stopwatch (no timed
    # assertions in tests): every failure path runs exactly one Argon2id verification at
    # the real parameters, the unknown login against a dummy hash.
    hasher = CountingHasher()
    accounts, admin = _real_services(server_engine, clock, hasher)
    customer = admin.create_customer(
        actor, company_name="Trade", account_number="T-1", price_list_id="PL"
    )
    _real, locked = (
        admin.create_user(
            actor,
            customer.customer_id,
            login=name,
            display_name=name,
            initial_password=PASSWORD,
            must_change_password=False,
        )
        for name in ("real@x.example", "locked@x.example")
    )
    admin.set_user_active(actor, locked.user_id, False)

    def login(name: str, password: str) -> None:
        accounts.login(name, password, channel="web", device_id="d", source="timing")

    cases = {
        "unknown": lambda: login("nobody@x.example", PASSWORD),
        "wrong": lambda: login("real@x.example", "wrong password 1"),
        "locked": lambda: login("locked@x.example", PASSWORD),
    }
    results: dict[str, object] = {}
    for name, fn in cases.items():
        before = hasher.verifications
        results[name] = _failure(fn)
        assert hasher.verifications - before == 1, f"{name}: {hasher.verifications - before}"
    assert results["unknown"] == results["wrong"] == results["locked"]
    assert results["wrong"][4:] == ("login_failed", 401)  # type: ignore[index]


def test_login_rehashes_when_parameters_change(
    server_engine: Engine, clock: FixedClock, real_hasher: PasswordHasher, make_account
) -> None:
    acct = make_account()  # hashed with the cheap test parameters
    accounts, _ = _real_services(server_engine, clock, real_hasher)
    with server_engine.connect() as conn:
        before = conn.execute(
            select(account_users.c.password_hash).where(account_users.c.id == acct.user_id)
        ).scalar_one()
    assert before.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    accounts.login(acct.login, PASSWORD, channel="web", device_id="d", source="s")
    with server_engine.connect() as conn:
        after = conn.execute(
            select(account_users.c.password_hash).where(account_users.c.id == acct.user_id)
        ).scalar_one()
    assert after.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert not real_hasher.needs_rehash(after)
    accounts.login(acct.login, PASSWORD, channel="web", device_id="d", source="s")


def test_throttling_grows_and_ends(
    accounts: AccountService, make_account, clock: FixedClock
) -> None:
    acct = make_account()

    def attempt(password: str) -> None:
        accounts.login(acct.login, password, channel="app", device_id="d", source=f"ip{clock.ms}")

    for _ in range(5):
        with pytest.raises(LoginFailed):
            attempt("wrong password!")
    waits = []
    for _ in range(4):
        with pytest.raises(Throttled) as info:
            attempt(PASSWORD)  # even the right password is not checked while throttled
        assert info.value.status_hint == 429
        assert info.value.code == "throttled"
        waits.append(info.value.retry_after_ms)
        clock.advance(info.value.retry_after_ms)
        with pytest.raises(LoginFailed):
            attempt("wrong password!")
    assert waits == [1_000, 2_000, 4_000, 8_000]
    with pytest.raises(Throttled) as info:
        attempt(PASSWORD)
    clock.advance(info.value.retry_after_ms)
    attempt(PASSWORD)  # no permanent lockout; success resets the run
    with pytest.raises(LoginFailed):
        attempt("wrong password!")


def test_unknown_names_are_throttled_like_real_ones(
    accounts: AccountService, make_account, clock: FixedClock
) -> None:
    acct = make_account()
    waits = {}
    for name in (acct.login, "ghost@example.com"):
        for _ in range(5):
            with pytest.raises(LoginFailed):
                accounts.login(
                    name,
                    "wrong password!",
                    channel="web",
                    device_id="d",
                    source=f"{name}{clock.ms}",
                )
        with pytest.raises(Throttled) as info:
            accounts.login(name, "wrong password!", channel="web", device_id="d", source="fresh")
        waits[name] = info.value.retry_after_ms
    assert waits[acct.login] == waits["ghost@example.com"] == 1_000


def test_throttling_per_source_across_accounts(accounts: AccountService, make_account) -> None:
    acct = make_account()
    for n in range(19):  # credential stuffing: many names, one source
        with pytest.raises(LoginFailed):
            accounts.login(
                f"user{n}@x.example", "wrong password!", channel="web", device_id="d", source="evil"
            )
    with pytest.raises(LoginFailed):
        accounts.login(acct.login, "wrong password!", channel="web", device_id="d", source="evil")
    with pytest.raises(Throttled):
        accounts.login(acct.login, PASSWORD, channel="web", device_id="d", source="evil")
    accounts.login(acct.login, PASSWORD, channel="web", device_id="d", source="office")


def test_must_change_password_flow(
    accounts: AccountService, admin: AdminService, actor, make_account
) -> None:
    from pocketsync.accounts import PasswordChangeRequired

    acct = make_account()
    admin.set_password(
        actor, acct.user_id, "temporary passphrase 9", must_change_at_next_login=True
    )
    t = accounts.login(
        acct.login, "temporary passphrase 9", channel="app", device_id="d", source="s"
    )
    assert t.must_change_password
    with pytest.raises(PasswordChangeRequired):
        accounts.authenticate(t.access_token)
    assert accounts.authenticate(t.access_token, allow_pending_change=True).must_change_password
    t2 = accounts.change_password(t.access_token, "temporary passphrase 9", NEW_PASSWORD)
    assert not accounts.authenticate(t2.access_token).must_change_password


def test_sessions_table_holds_epoch_per_session(
    accounts: AccountService, make_account, server_engine: Engine
) -> None:
    acct = make_account()
    t = accounts.login(acct.login, PASSWORD, channel="web", device_id="d", source="s")
    accounts.change_password(t.access_token, PASSWORD, NEW_PASSWORD)
    with server_engine.connect() as conn:
        rows = conn.execute(text("SELECT credential_epoch FROM account_users")).scalars().all()
    assert list(rows) == [1]


def test_argon2_params_are_injectable() -> None:
    assert (
        PasswordHasher(Argon2Params(memory_kib=2048, time_cost=1))
        .hash(__import__("pocketsync.accounts", fromlist=["Secret"]).Secret("x" * 10))
        .startswith("$argon2id$v=19$m=2048,t=1,p=1$")
    )
