"""Issue 12, secrets: one key file however many processes start at once; the activated URL only as a hash."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from sqlmodel import Session, select

from core.access import external_access
from core.kernel import crypto
from core.kernel.models import Setting
from tests.conftest import make_user
from tests.unit.test_crypto import settings_for


def _first_use(data_dir: str, start: multiprocessing.synchronize.Event, out: multiprocessing.Queue) -> None:  # type: ignore[name-defined]
    start.wait()
    out.put(crypto.load_keys(settings_for(Path(data_dir)))[0].decode())


def test_processes_starting_on_an_empty_data_directory_all_get_the_same_key(tmp_path: Path) -> None:
    """Before: each could write its own key file and the secrets one of them encrypted were lost."""
    context = multiprocessing.get_context("fork")
    start, out = context.Event(), context.Queue()
    workers = [context.Process(target=_first_use, args=(str(tmp_path), start, out)) for _ in range(6)]
    for worker in workers:
        worker.start()
    start.set()
    keys = {out.get(timeout=30) for _ in workers}
    for worker in workers:
        worker.join(timeout=30)
    assert len(keys) == 1
    assert (tmp_path / "secret.key").read_text().strip() == keys.pop()
    assert [p.name for p in tmp_path.iterdir()] == ["secret.key"]  # no temporary file left behind


def test_a_key_file_another_process_just_created_is_never_replaced(tmp_path: Path) -> None:
    """The other process won the race between our "is there a key file?" and our create: its key stays."""
    path = tmp_path / "secret.key"
    theirs = crypto.Fernet.generate_key()
    path.write_bytes(theirs + b"\n")
    crypto.create_key_file(path)
    assert crypto.load_keys(settings_for(tmp_path)) == [theirs]


def test_the_activated_redirect_url_is_stored_only_as_a_hash(session: Session) -> None:
    admin = make_user(session, role="admin")
    access = external_access.set_system_address(session, user=admin, address="https://crm.example.com")
    external_access.record_activation(session, url=access.redirect_url, actor=admin)
    token = access.redirect_url.split("token=")[1]
    stored = " ".join(str(row.value) for row in session.exec(select(Setting)))
    assert access.redirect_url not in stored and token not in stored
    assert external_access.get_external_access(session).activation_valid
    external_access.regenerate_token(session, user=admin)
    assert not external_access.get_external_access(session).activation_valid
