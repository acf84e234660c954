"""Shared fixtures: a fresh, migrated store per test; Qt always offscreen."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")
# Keep tests away from the user's real settings and data folder (QSettings and platformdirs).
_HOME = tempfile.mkdtemp(prefix="livedesk-tests-")
atexit.register(shutil.rmtree, _HOME, True)
os.environ["XDG_CONFIG_HOME"] = os.path.join(_HOME, "config")
os.environ["XDG_DATA_HOME"] = os.path.join(_HOME, "data")

import pytest  # noqa: E402

from livedesk.services.store import Store, open_store, sqlite_url  # noqa: E402

# Every test that takes ``store`` (or ``ctx``) runs on both stores, ids ``[sqlite]`` and
# ``[postgresql]``. LIVEDESK_TEST_BACKENDS=sqlite limits a run to one while working; the
# README's command and CI run both. A test about one database alone says so with a marker.
BACKENDS = [b.strip() for b in os.environ.get("LIVEDESK_TEST_BACKENDS", "sqlite,postgresql").split(",") if b.strip()]


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: about the SQLite file itself; not run on PostgreSQL")
    config.addinivalue_line("markers", "postgresql_only: about the server store; not run on SQLite")


def pytest_collection_modifyitems(config, items):
    kept, dropped = [], []
    for item in items:
        backend = getattr(item, "callspec", None) and item.callspec.params.get("backend")
        if (backend == "postgresql" and item.get_closest_marker("sqlite_only")) or (
                backend == "sqlite" and item.get_closest_marker("postgresql_only")):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def pg_server():
    """One throwaway PostgreSQL server for the whole run (initdb in a temp folder)."""
    from livedesk.checks.pg_server import ThrowawayServer

    server = ThrowawayServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_template(pg_server):
    """A migrated database that every test's database is copied from (faster than migrating)."""
    pg_server.execute("CREATE DATABASE livedesk_template")
    open_store(pg_server.url("livedesk_template")).dispose()
    return "livedesk_template"


_pg_databases = iter(range(1, 1_000_000))
# A test's databases are dropped a few tests later: a page's worker or timer that outlives its
# test (as a file in tmp_path outlives it on SQLite) must not fail in the next test's setup.
_pg_to_drop: list[str] = []
_PG_KEPT = 4


def _pg_database(server, template: str | None) -> str:
    name = f"test_{next(_pg_databases)}"
    server.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template} STRATEGY FILE_COPY" if template else ""))
    _pg_to_drop.append(name)
    while len(_pg_to_drop) > _PG_KEPT * 2:
        server.execute(f"DROP DATABASE IF EXISTS {_pg_to_drop.pop(0)} WITH (FORCE)")
    return name


@pytest.fixture
def pg_url(pg_server, pg_template):
    """A fresh, migrated, empty PostgreSQL database for one test."""
    return pg_server.url(_pg_database(pg_server, pg_template))


@pytest.fixture
def new_store_url(backend, request, tmp_path):
    """Another store, on the test's backend unless ``kind`` says: ``new_store_url("twin")``."""
    def make(name: str, migrated: bool = True, kind: str | None = None) -> str:
        if (kind or backend) == "postgresql":
            server = request.getfixturevalue("pg_server")
            template = request.getfixturevalue("pg_template") if migrated else None
            return server.url(_pg_database(server, template))
        path = tmp_path / f"{name}.sqlite3"
        if migrated:
            open_store(sqlite_url(path)).dispose()
        return sqlite_url(path)

    return make


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def store_url(backend, request, tmp_path) -> str:
    if backend == "postgresql":
        return request.getfixturevalue("pg_url")
    return sqlite_url(tmp_path / "store.sqlite3")


@pytest.fixture
def store(store_url) -> Store:
    s = open_store(store_url)
    yield s
    s.dispose()


@pytest.fixture
def ctx(store):
    """What a page is handed: the store, a worker, English words (the sources of the translations)."""
    from livedesk.ui.context import AppContext
    from livedesk.ui.tasks import TaskRunner

    tasks = TaskRunner()
    yield AppContext(store, tasks, "en")
    tasks.shutdown()


@pytest.fixture
def ui_language(qapp):
    """``ui_language("zh_CN")`` shows the UI's words in that language for one test; undone after."""
    from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

    from livedesk.ui.i18n import install_translators

    before = QLocale()
    yield lambda language: install_translators(qapp, language)
    for translator in qapp.findChildren(QTranslator):
        QCoreApplication.removeTranslator(translator)
        translator.deleteLater()
    QLocale.setDefault(before)


@pytest.fixture
def person(store, tmp_path):
    """(person id, bystander id): the person has orders (through the importer), notes, profile, tags,
    a task, a survey, points, an appearance, invitations, a possible-duplicate pair, an export and a
    merge in the audit log; the bystander shares an invitation and a broadcast with them."""
    from datetime import date, datetime, timedelta, timezone

    from livedesk.models import LevelChange, PossibleDuplicate
    from livedesk.services import broadcasts, customers, export, importing, merge, points, segments, vip_sessions
    from livedesk.services.customers import CustomerFilter, NewCustomer
    from livedesk.services.followups import create_manual, record_survey

    now = datetime.now(timezone.utc).replace(microsecond=0)
    from helpers import PERSON

    p = PERSON
    with store.write() as s:
        pid = customers.create(s, NewCustomer(
            nickname=p["nickname"], real_name=p["real_name"], phone=p["phone"], city="杭州", address=p["address"],
            birthday=date(1990, 3, 8), accounts=[("douyin", p["uid"], p["handle"])],
            profile={"skin_type": "敏感肌", "allergies": "酒精过敏"}))
        other = customers.create(s, NewCustomer(nickname="路人甲", phone="13500000000", city="上海"))
        twin = customers.create(s, NewCustomer(nickname=p["nickname"] + "~", city="杭州",
                                               address=p["address"]))
    at = (now - timedelta(days=3)).astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M:%S")
    csv = tmp_path / "orders.csv"
    csv.write_text(
        "order_id,product_name,quantity,unit_price,order_total,ordered_at,paid_at,status,buyer_id,buyer_handle,"
        "recipient_name,phone,city,address,platform\n"
        f"P1,精华液,1,399,399,{at},{at},completed,{p['uid']},{p['handle']},{p['real_name']},{p['phone']},杭州,"
        f"{p['address']},douyin\n"
        f"P2,面霜,2,150,300,{at},{at},paid,{p['uid']},{p['handle']},{p['real_name']},{p['phone']},杭州,"
        f"{p['address']},douyin\n"
        f"X1,面霜,1,150,150,{at},{at},paid,OTHERUID,,路人甲,13500000000,上海,某路1号,douyin\n", encoding="utf-8")
    summary = importing.import_orders(store.write_factory, csv)
    assert not summary.errors, summary.errors
    with store.write() as s:
        customers.add_note(s, pid, f"{p['real_name']} 喜欢无香型，电话 {p['phone']}")
        customers.tag_customer(s, pid, "回头客")
        points.award_interaction(s, pid, "comment", "msg-9", now - timedelta(days=1))
        create_manual(s, pid, "manual", now + timedelta(days=1), "回访")
        record_survey(s, pid, 9, "很好")
        vip = vip_sessions.create_session(s, "会员私享会", now + timedelta(days=7), 10)
        vip_sessions.invite(s, vip, [pid, other])
        live = broadcasts.start(s, "美妆专场", "douyin", now=now - timedelta(hours=1))
        broadcasts.mark_greeted(s, live.id, pid, now=now - timedelta(minutes=30))
        broadcasts.mark_greeted(s, live.id, other, now=now - timedelta(minutes=20))
        s.add(LevelChange(customer_id=pid, from_level="none", to_level="silver"))  # a past level
        s.add(PossibleDuplicate(customer_id=min(pid, other), other_id=max(pid, other), reason="nickname_city"))
        points.settle_orders(s)
        segments.recompute(s, now)
    with store.write() as s:  # the audit log mentions them: a filtered export, a merge
        export.export_customers(s, tmp_path / "one.csv", CustomerFilter(text=p["phone"]), actor="tester")
        merge.merge(s, pid, twin, actor="tester", now=now)
    return pid, other


@pytest.fixture
def memory_keyring():
    """An OS keyring in memory for one test (what the app keeps there: keys, secrets, tokens)."""
    import keyring
    from keyring.backend import KeyringBackend

    class Memory(KeyringBackend):
        priority = 1

        def __init__(self) -> None:
            super().__init__()
            self.kept: dict[tuple[str, str], str] = {}

        def get_password(self, service, username):
            return self.kept.get((service, username))

        def set_password(self, service, username, password):
            self.kept[(service, username)] = password

        def delete_password(self, service, username):
            self.kept.pop((service, username), None)

    previous = keyring.get_keyring()
    memory = Memory()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(previous)
