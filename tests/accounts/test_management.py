"""Management Interface operations: customers, users, passwords, deletion, sessions, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    String,
    Table,
    func,
    insert,
    select,
)

from pocketsync.accounts import (
    AccountDeleted,
    AccountDisabled,
    AccountService,
    AdminRequired,
    AdminService,
    Conflict,
    CredentialsChanged,
    InvalidRequest,
    LoginFailed,
    MemoryMailer,
    NotFound,
    SessionEnded,
    TradeAccountsOnly,
)
from pocketsync.clock import FixedClock
from tests.accounts.conftest import ADMIN_PASSWORD, PASSWORD

NEW = "admin chosen passphrase 3"


def test_admin_password_change_ends_both_channels(
    accounts: AccountService, admin: AdminService, actor, make_account
) -> None:
    acct = make_account()
    web = accounts.login(acct.login, PASSWORD, channel="web", device_id="b", source="s")
    app = accounts.login(acct.login, PASSWORD, channel="app", device_id="p", source="s")
    admin.set_password(actor, acct.user_id, NEW, must_change_at_next_login=False)
    for t in (web, app):
        with pytest.raises(CredentialsChanged):
            accounts.authenticate(t.access_token)
        with pytest.raises(CredentialsChanged):
            accounts.refresh(t.refresh_token)
    t = accounts.login(acct.login, NEW, channel="app", device_id="p", source="s")
    assert not t.must_change_password


def _counts(engine: Engine) -> tuple[int, int, int]:
    from pocketsync.accounts.schema import account_audit_log, account_customers, account_users

    with engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (account_customers, account_users, account_audit_log)
        )


def test_create_customer_with_user_is_one_transaction(
    server_engine: Engine,
    accounts: AccountService,
    admin: AdminService,
    actor,
    make_account,
    mailer: MemoryMailer,
) -> None:
    customer, user = admin.create_customer_with_user(
        actor,
        company_name="Both At Once Ltd",
        account_number="ONE-1",
        price_list_id="PL-1",
        login="first@example.com",
        display_name="First",
        initial_password=PASSWORD,
        must_change_password=False,
    )
    assert user.customer_id == customer.customer_id
    assert (customer.company_name, customer.account_type) == ("Both At Once Ltd", "b2b")
    tokens = accounts.login(user.login, PASSWORD, channel="app", device_id="d", source="s")
    assert accounts.authenticate(tokens.access_token).company_name == "Both At Once Ltd"
    actions = {(e.action, e.target_id) for e in admin.audit_log(limit=500).items}
    assert {("customer.create", customer.customer_id), ("user.create", user.user_id)} <= actions

    taken = make_account()
    before, mails = _counts(server_engine), len(mailer.sent)
    # A taken login (any case) leaves no customer row at all: not even a deleted one.
    with pytest.raises(Conflict):
        admin.create_customer_with_user(
            actor,
            company_name="Late Ltd",
            account_number="ONE-2",
            price_list_id="PL-1",
            login=taken.login.upper(),
            display_name="Late",
            initial_password=PASSWORD,
        )
    # The same for a taken account number, and for an invitation nobody can receive.
    with pytest.raises(Conflict):
        admin.create_customer_with_user(
            actor,
            company_name="Dup Ltd",
            account_number="ONE-1",
            price_list_id="PL-1",
            login="new@example.com",
            display_name="New",
        )
    with pytest.raises(InvalidRequest):
        admin.create_customer_with_user(
            actor,
            company_name="Nobody Ltd",
            account_number="ONE-3",
            price_list_id="PL-1",
            login="no-address",
            display_name="X",
        )
    assert _counts(server_engine) == before
    assert len(mailer.sent) == mails
    assert [c.account_number for c in admin.list_customers(search="ONE-").items] == ["ONE-1"]
    # The account number the failed attempts wanted is still free.
    again, _ = admin.create_customer_with_user(
        actor,
        company_name="Late Ltd",
        account_number="ONE-2",
        price_list_id="PL-1",
        login="late@example.com",
        display_name="Late",
    )
    assert again.account_number == "ONE-2"
    assert len(mailer.sent) == mails + 1  # the invitation


def test_create_edit_and_conflicts(admin: AdminService, actor, make_account) -> None:
    acct = make_account()
    c = admin.edit_customer(
        actor, acct.customer_id, company_name="Renamed Ltd", price_list_id="PL-9"
    )
    assert (c.company_name, c.price_list_id, c.account_type) == ("Renamed Ltd", "PL-9", "b2b")
    with pytest.raises(Conflict):
        admin.create_customer(
            actor, company_name="X", account_number=c.account_number, price_list_id="P"
        )
    with pytest.raises(Conflict):
        admin.create_user(actor, acct.customer_id, login=acct.login.upper(), display_name="Dup",
                          initial_password=PASSWORD)  # fmt: skip
    with pytest.raises(InvalidRequest):
        admin.create_customer(
            actor, company_name="X", account_number="Z", price_list_id="P", account_type="vip"
        )
    with pytest.raises(NotFound):
        admin.edit_user(actor, "nope", display_name="x")
    u = admin.edit_user(actor, acct.user_id, display_name="Renamed Buyer", email="b@example.com")
    assert (u.display_name, u.email) == ("Renamed Buyer", "b@example.com")
    assert admin.edit_user(actor, acct.user_id, email="").email is None


def test_switching_customer_to_b2c_ends_app_sessions(
    accounts: AccountService, admin: AdminService, actor, make_account
) -> None:
    acct = make_account()
    app = accounts.login(acct.login, PASSWORD, channel="app", device_id="p", source="s")
    web = accounts.login(acct.login, PASSWORD, channel="web", device_id="b", source="s")
    admin.edit_customer(actor, acct.customer_id, account_type="b2c")
    with pytest.raises(TradeAccountsOnly):
        accounts.authenticate(app.access_token)
    accounts.authenticate(web.access_token)


def test_disable_and_enable(
    accounts: AccountService, admin: AdminService, actor, make_account
) -> None:
    a, b = make_account(), make_account()
    ta = accounts.login(a.login, PASSWORD, channel="app", device_id="p", source="s")
    tb = accounts.login(b.login, PASSWORD, channel="web", device_id="b", source="s")
    assert not admin.set_user_active(actor, a.user_id, False).active
    assert not admin.set_customer_active(actor, b.customer_id, False).active
    for t in (ta, tb):
        with pytest.raises(AccountDisabled):
            accounts.authenticate(t.access_token)
    admin.set_user_active(actor, a.user_id, True)
    admin.set_customer_active(actor, b.customer_id, True)
    with pytest.raises(SessionEnded):  # re-enabling does not revive ended sessions
        accounts.authenticate(ta.access_token)
    accounts.login(b.login, PASSWORD, channel="web", device_id="b", source="s")


def test_delete_user_hooks_sessions_devices(
    accounts: AccountService, admin: AdminService, actor, make_account, deleted_users: list[str]
) -> None:
    acct, other = make_account(), make_account()
    app = accounts.login(acct.login, PASSWORD, channel="app", device_id="phone-1", source="s")
    web = accounts.login(acct.login, PASSWORD, channel="web", device_id="browser", source="s")
    accounts.login(other.login, PASSWORD, channel="app", device_id="phone-2", source="s")
    admin.delete_user(actor, acct.user_id)
    assert deleted_users == [acct.user_id]
    for t in (app, web):
        with pytest.raises(AccountDeleted) as info:
            accounts.authenticate(t.access_token)
        assert info.value.wipe
        assert info.value.code == "account_deleted"
        with pytest.raises(AccountDeleted):
            accounts.refresh(t.refresh_token)
    assert accounts.device_wipe_pending("phone-1")
    assert not accounts.device_wipe_pending("phone-2")
    with pytest.raises(LoginFailed):
        accounts.login(acct.login, PASSWORD, channel="web", device_id="b", source="s")
    gone = admin.get_user(acct.user_id)
    assert gone.deleted
    assert gone.login == ""
    assert gone.email is None
    assert not gone.has_password
    with pytest.raises(NotFound):
        admin.delete_user(actor, acct.user_id)
    # The login name is free again.
    admin.create_user(actor, other.customer_id, login=acct.login, display_name="Again",
                      initial_password=PASSWORD)  # fmt: skip


def test_delete_hook_runs_in_the_same_transaction(
    server_engine: Engine, clock: FixedClock, fast_hasher, actor, make_account
) -> None:
    md = MetaData()
    carts = Table("test_carts", md, Column("user_id", String(64), primary_key=True))
    md.create_all(server_engine)
    acct = make_account()
    with server_engine.begin() as conn:
        conn.execute(insert(carts).values(user_id=acct.user_id))

    def delete_cart(conn: Connection, user_id: str) -> None:
        conn.execute(carts.delete().where(carts.c.user_id == user_id))

    def broken(conn: Connection, user_id: str) -> None:
        raise RuntimeError("remote store down")

    mailer = MemoryMailer()
    failing = AdminService(server_engine, clock=clock, mailer=mailer, hasher=fast_hasher,
                           on_user_deleted=[delete_cart, broken])  # fmt: skip
    with pytest.raises(RuntimeError):
        failing.delete_user(actor, acct.user_id)
    with server_engine.connect() as conn:  # rolled back: cart and user still there
        assert conn.execute(select(carts.c.user_id)).scalars().all() == [acct.user_id]
    assert not failing.get_user(acct.user_id).deleted
    working = AdminService(server_engine, clock=clock, mailer=mailer, hasher=fast_hasher,
                           on_user_deleted=[delete_cart])  # fmt: skip
    working.delete_user(actor, acct.user_id)
    with server_engine.connect() as conn:
        assert conn.execute(select(carts.c.user_id)).scalars().all() == []
    md.drop_all(server_engine)


def test_delete_customer_deletes_its_users(
    accounts: AccountService, admin: AdminService, actor, make_account, deleted_users: list[str]
) -> None:
    acct = make_account()
    second = admin.create_user(actor, acct.customer_id, login="second@example.com",
                               display_name="Second", initial_password=PASSWORD)  # fmt: skip
    t = accounts.login("second@example.com", PASSWORD, channel="app", device_id="p", source="s")
    admin.delete_customer(actor, acct.customer_id)
    assert sorted(deleted_users) == sorted([acct.user_id, second.user_id])
    with pytest.raises(AccountDeleted):
        accounts.authenticate(t.access_token)
    assert admin.get_customer(acct.customer_id).deleted
    assert admin.list_customers().total == 0


def test_list_and_search_with_paging(admin: AdminService, actor, make_account) -> None:
    for _ in range(7):
        make_account()
    admin.create_customer(
        actor, company_name="100%_Wild Ltd", account_number="W-1", price_list_id="P"
    )
    page = admin.list_customers(offset=0, limit=3)
    assert page.total == 8
    assert len(page.items) == 3
    rest = admin.list_customers(offset=3, limit=10)
    names = [c.company_name for c in page.items + rest.items]
    assert len(set(names)) == 8
    assert names == sorted(names)
    assert [c.company_name for c in admin.list_customers(search="%_w").items] == ["100%_Wild Ltd"]
    assert admin.list_customers(search="ac-0000").total == 7
    assert admin.list_customers(search="%").total == 1  # wildcards are literal
    assert admin.list_users(search="BUYER3").total == 1
    assert admin.list_users(limit=2).total == 7
    with pytest.raises(InvalidRequest):
        admin.list_users(limit=0)


def test_list_users_of_one_customer(admin: AdminService, actor, make_account) -> None:
    a = make_account(login="a1@example.com")
    b = make_account(login="b1@example.com")
    page = admin.list_users(customer_id=a.customer_id)
    assert [u.login for u in page.items] == ["a1@example.com"]
    assert page.total == 1
    assert admin.list_users(customer_id=b.customer_id, search="B1").total == 1
    assert admin.list_users(customer_id=b.customer_id, search="a1").total == 0
    admin.delete_user(actor, a.user_id)
    assert admin.list_users(customer_id=a.customer_id).total == 0
    assert admin.list_users(customer_id=a.customer_id, include_deleted=True).total == 1


def test_list_and_end_sessions(
    accounts: AccountService, admin: AdminService, actor, make_account
) -> None:
    acct = make_account()
    app = accounts.login(acct.login, PASSWORD, channel="app", device_id="p", source="s")
    web = accounts.login(acct.login, PASSWORD, channel="web", device_id="b", source="s")
    sessions = admin.list_sessions(acct.user_id)
    assert {(s.channel, s.device_id) for s in sessions} == {("app", "p"), ("web", "b")}
    admin.end_session(actor, app.session_id)
    with pytest.raises(SessionEnded):
        accounts.authenticate(app.access_token)
    accounts.authenticate(web.access_token)
    assert admin.end_user_sessions(actor, acct.user_id) == 1
    with pytest.raises(SessionEnded):
        accounts.authenticate(web.access_token)
    assert admin.list_sessions(acct.user_id) == ()
    assert len(admin.list_sessions(acct.user_id, include_ended=True)) == 2
    with pytest.raises(NotFound):
        admin.end_session(actor, "nope")


def test_audit_log_records_who_what_when(
    admin: AdminService, actor, make_account, clock: FixedClock
) -> None:
    acct = make_account()
    admin.set_password(actor, acct.user_id, NEW)
    admin.delete_user(actor, acct.user_id)
    entries = admin.audit_log(target_id=acct.user_id).items
    assert [e.action for e in entries] == ["user.delete", "user.password_set", "user.create"]
    assert all(e.actor_kind == "admin" and e.actor_id == actor.admin_id for e in entries)
    assert all(e.at_ms == clock.ms for e in entries)
    everything = repr(admin.audit_log(limit=500))
    assert NEW not in everything
    assert PASSWORD not in everything


def test_admin_login_is_separate_and_expires(
    admin: AdminService, accounts: AccountService, actor, make_account, clock: FixedClock
) -> None:
    acct = make_account()
    with pytest.raises(LoginFailed):
        admin.login(acct.login, PASSWORD, source="s")  # a customer is no administrator
    with pytest.raises(LoginFailed):
        accounts.login("root", ADMIN_PASSWORD, channel="web", device_id="b", source="s")
    session = admin.login("root", ADMIN_PASSWORD, source="s")
    assert admin.authenticate(session.token).login == "root"
    clock.advance(29 * 60_000)
    admin.authenticate(session.token)  # slides the idle timeout
    clock.advance(29 * 60_000)
    admin.authenticate(session.token)
    clock.advance(30 * 60_000)
    with pytest.raises(AdminRequired):
        admin.authenticate(session.token)
    again = admin.login("root", ADMIN_PASSWORD, source="s")
    admin.logout(again.token)
    with pytest.raises(AdminRequired):
        admin.authenticate(again.token)


def test_create_user_with_invite_needs_address(admin: AdminService, actor, make_account) -> None:
    acct = make_account()
    with pytest.raises(InvalidRequest):
        admin.create_user(actor, acct.customer_id, login="no-address", display_name="X")
    admin.send_password_reset(actor, acct.user_id)
