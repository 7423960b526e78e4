"""Opening an existing record for reading, and naming what it refers to.

``audit`` and ``report`` read a record; they must never create one. Opening a database
that is not there would otherwise give an empty SQLite file and "0 action(s)", which reads
as "nothing happened" rather than "wrong database".
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from bot.config import Settings
from storage.store import Store


class RecordUnavailable(Exception):
    """The database is missing, unreachable, or holds no GroupGuard record."""


def _missing(database: str) -> bool:
    # A quick stat before any connection: SQLite would create the file on connect.
    return database in ("", ":memory:") or not Path(database).is_file()


async def open_existing(settings: Settings, *, need_journal: bool = False) -> Store:
    url = settings.database.resolved_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if _missing(database):
            raise RecordUnavailable(
                f"no database at {database or ':memory:'} — nothing was created; check "
                f"database.url or {settings.database.url_env}"
            )
    try:
        store = await Store.open(url, retry_for=5, migrate=False)
        async with store.engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    except RecordUnavailable:
        raise
    except Exception as exc:  # unreachable server, unknown database, bad password
        raise RecordUnavailable(
            f"cannot open the database {parsed.render_as_string(hide_password=True)}: "
            f"{type(exc).__name__}"
        ) from None
    if "actions" not in tables:
        await store.close()
        raise RecordUnavailable("this database holds no GroupGuard record (no actions table)")
    if need_journal and "journal" not in tables:
        await store.close()
        raise RecordUnavailable(
            "this database predates the journal: run `groupguard db upgrade` first"
        )
    return store
