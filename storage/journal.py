"""The tamper-evident journal (REQUIREMENTS L1: records cannot be silently altered).

Every record the regulations ask us to keep is mirrored by one ``journal`` entry, appended in
the same transaction as the record. Entries form a hash chain::

    hash(n) = sha256(hash(n-1) + "\\n" + [seq, at, kind, ref_table, ref_id] + "\\n" + payload)

where the bracket is canonical JSON and ``payload`` the canonical JSON text stored in the row
(sorted keys, UTF-8, no spaces; datetimes as UTC ISO-8601 with microseconds). Entry 1 links
to ``GENESIS``. The ``journal_head`` row holds the newest (seq, hash): appending locks it, so
sequence numbers are handed out by one writer at a time (PostgreSQL: ``SELECT … FOR UPDATE``;
SQLite has a single writer anyway), and a truncated tail no longer matches it.

``verify`` walks the chain and also compares every mirrored table with the newest entry for
each of its rows, so editing a record (even after dropping the append-only triggers), deleting
one, or adding one behind the bot's back is found, with the entry number. Anyone who can write
to the database *and* recompute the whole chain can still forge it: that is why the head goes
into every report sent to supervisors (``anchors``) — a rewrite after a report no longer
matches the head printed in it.

Other modules call ``append(conn, kind, payload, at=…)`` for free-form entries, or
``mirror(conn, kind, table, row_id, at=…)`` right after writing a row of a table listed with
``register_mirrored`` / ``MIRRORED_TABLES``, inside their own transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Table, func, insert, select, update

from storage.models import (
    ActionOutcome,
    ActionRecord,
    BlacklistEntry,
    Escalation,
    EscalationResponse,
    Filing,
    FilingStep,
    Handover,
    Incident,
    IncidentStep,
    JournalEntry,
    JournalHead,
    MembershipEvent,
    Offence,
    ReportRun,
)

GENESIS = "0" * 64
HEAD_ID = 1

# Tables whose rows are each mirrored by journal entries; ``verify`` compares them with the
# journal. A new recorded table (filings, approvals, ...) is added here and written through
# ``mirror`` in the same transaction as the row.
MIRRORED_TABLES: tuple[Table, ...] = tuple(
    m.__table__  # type: ignore[attr-defined]
    for m in (
        ActionRecord,
        ActionOutcome,
        Offence,
        Escalation,
        EscalationResponse,
        MembershipEvent,
        BlacklistEntry,
        Incident,
        IncidentStep,
        ReportRun,
        Filing,
        FilingStep,
        Handover,
    )
)

_JOURNAL = JournalEntry.__table__
_HEAD = JournalHead.__table__
_INSERT = insert(_JOURNAL)


class Connection(Protocol):
    """What the journal needs of a connection: the repository's async one, or the facade the
    SQLite store uses (whose ``execute`` never suspends)."""

    dialect: Any

    async def execute(self, statement: Any, parameters: Any = None) -> Any: ...


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    at: datetime
    kind: str
    ref_table: str | None
    ref_id: str | None
    payload: str
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class Break:
    """The first place the record stops being what was written.

    ``seq`` is the journal entry concerned (for a row added behind the journal's back, the
    newest entry; ``row`` then names the row). ``reason`` is one of: ``altered`` (content no
    longer matches its hash), ``removed`` (entries missing in the middle), ``relinked``
    (an entry no longer links to the one before), ``truncated`` (entries missing at the end),
    ``inserted`` (entries after the recorded head), ``row_altered``, ``row_removed``,
    ``row_unjournaled``, ``anchor`` (differs from a head printed in a report)."""

    seq: int
    reason: str
    detail: str = ""
    row: str | None = None
    span: tuple[int, int] | None = None  # the entries missing or added, first and last


@dataclass(frozen=True, slots=True)
class Head:
    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


# ------------------------------------------------------------------ canonical form
def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"cannot journal a {type(value).__name__}")


def canonical(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_plain
    )


def row_payload(row: Mapping[str, Any]) -> str:
    """A row's canonical form. NULL columns are left out, so a nullable column added by a
    later migration does not change the form of rows journaled before it existed."""
    return canonical({k: v for k, v in row.items() if v is not None})


def entry_hash(
    prev_hash: str,
    seq: int,
    at: datetime,
    kind: str,
    ref_table: str | None,
    ref_id: str | None,
    payload: str,
) -> str:
    header = canonical([seq, _plain(at), kind, ref_table, ref_id])
    return hashlib.sha256(f"{prev_hash}\n{header}\n{payload}".encode()).hexdigest()


# ------------------------------------------------------------------ writing
async def head(conn: Connection, *, lock: bool = False) -> Head:
    stmt = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == HEAD_ID)
    if lock:
        # PostgreSQL: the row lock is the single-writer guarantee for seq; SQLite renders no
        # FOR UPDATE and needs none (one writer per database; a stale snapshot gets BUSY and
        # the store retries the whole transaction).
        stmt = stmt.with_for_update()
    row = (await conn.execute(stmt)).first()
    if row is None:
        raise RuntimeError("journal_head is missing: run `groupguard db upgrade`")
    return Head(int(row[0]), str(row[1]))


async def append(
    conn: Connection,
    kind: str,
    payload: Mapping[str, Any] | str,
    *,
    at: datetime,
    ref_table: str | None = None,
    ref_id: object = None,
) -> Entry:
    """Append one entry in the caller's transaction and move the head. ``payload`` is a JSON
    object (made canonical here) or text already canonical."""
    text = payload if isinstance(payload, str) else canonical(dict(payload))
    ref = None if ref_id is None else str(ref_id)
    previous = await head(conn, lock=True)
    seq = previous.seq + 1
    digest = entry_hash(previous.hash, seq, at, kind, ref_table, ref, text)
    await conn.execute(
        _INSERT,
        {
            "seq": seq,
            "at": at,
            "kind": kind,
            "ref_table": ref_table,
            "ref_id": ref,
            "payload": text,
            "prev_hash": previous.hash,
            "hash": digest,
        },
    )
    await conn.execute(update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(seq=seq, hash=digest))
    return Entry(seq, at, kind, ref_table, ref, text, previous.hash, digest)


async def mirror(
    conn: Connection, kind: str, table: Table, row_id: object, *, at: datetime
) -> Entry:
    """Journal the row as it now stands (after an insert or an update)."""
    pk = next(iter(table.primary_key.columns))
    row = (await conn.execute(select(table).where(pk == row_id))).first()
    if row is None:
        raise LookupError(f"{table.name} {row_id} not found to journal")
    return await append(
        conn, kind, row_payload(row._mapping), at=at, ref_table=table.name, ref_id=row_id
    )


async def baseline(
    conn: Connection,
    *,
    at: datetime,
    tables: Iterable[Table] = MIRRORED_TABLES,
    present: Mapping[str, set[str]] | None = None,
) -> int:
    """Journal every row already there (a database in use before the journal existed): one
    ``baseline`` entry per row, table by table in key order. ``present`` limits each table to
    the columns the database has at this point of its migrations. Returns the entry count."""
    written = 0
    for table in tables:
        if present is not None and table.name not in present:
            continue
        columns = [c for c in table.c if present is None or c.name in present[table.name]]
        pk = next(iter(table.primary_key.columns))
        for r in (await conn.execute(select(*columns).order_by(pk))).all():
            m = r._mapping
            await append(
                conn, "baseline", row_payload(m), at=at, ref_table=table.name, ref_id=m[pk.name]
            )
            written += 1
    return written


def baseline_sync(connection: Any, *, at: datetime) -> int:
    """``baseline`` on a synchronous connection (Alembic's, inside a migration)."""
    from sqlalchemy import inspect

    from storage.store import _run_to_completion, _SyncConnection

    inspector = inspect(connection)
    present = {
        name: {c["name"] for c in inspector.get_columns(name)}
        for name in inspector.get_table_names()
    }
    return _run_to_completion(baseline(_SyncConnection(connection), at=at, present=present))


# ------------------------------------------------------------------ checking
def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


async def verify(
    conn: Connection,
    *,
    tables: Iterable[Table] = MIRRORED_TABLES,
    anchors: Iterable[Head] = (),
    batch: int = 5000,
) -> Break | None:
    """The first break in the record, or None when it is intact. Reads the whole journal."""
    wanted = {a.seq: a.hash for a in anchors}
    latest: dict[tuple[str, str], tuple[int, bytes]] = {}
    expected, prev_hash = 1, GENESIS
    async for e in _walk(conn, batch):
        seq = int(e["seq"])
        if seq != expected:
            return Break(
                expected,
                "removed",
                f"entries {expected}..{seq - 1} are missing",
                span=(expected, seq - 1),
            )
        if e["prev_hash"] != prev_hash:
            return Break(seq, "relinked", "does not link to the entry before it")
        digest = entry_hash(
            e["prev_hash"], seq, e["at"], e["kind"], e["ref_table"], e["ref_id"], e["payload"]
        )
        if digest != e["hash"]:
            return Break(seq, "altered", f"{e['kind']}: content does not match its hash")
        if seq in wanted and wanted.pop(seq) != digest:
            return Break(seq, "anchor", "differs from the head printed in a report")
        if e["ref_table"] is not None:
            latest[(e["ref_table"], e["ref_id"])] = (seq, _digest(e["payload"]))
        expected, prev_hash = seq + 1, digest
    last = expected - 1
    recorded = await head(conn)
    if recorded.seq > last:
        return Break(
            last + 1,
            "truncated",
            f"entries {last + 1}..{recorded.seq} are missing at the end",
            span=(last + 1, recorded.seq),
        )
    if recorded.seq < last:
        return Break(
            recorded.seq + 1,
            "inserted",
            f"entries after the head {recorded.seq}",
            span=(recorded.seq + 1, last),
        )
    if recorded.hash != prev_hash:
        return Break(last, "altered", "the recorded head does not match the last entry")
    if wanted:
        return Break(
            last + 1,
            "truncated",
            f"entries {last + 1}..{max(wanted)} are gone: a report showed entry {max(wanted)}",
            span=(last + 1, max(wanted)),
        )
    return await _check_rows(conn, tables, latest, last)


async def _walk(conn: Connection, batch: int = 5000) -> AsyncIterator[Mapping[str, Any]]:
    """Every entry in seq order, a page at a time: a large journal is never held whole."""
    after: int | None = None
    while True:
        stmt = select(_JOURNAL).order_by(_JOURNAL.c.seq).limit(batch)
        if after is not None:
            stmt = stmt.where(_JOURNAL.c.seq > after)
        rows = (await conn.execute(stmt)).all()
        for r in rows:
            yield r._mapping
        if len(rows) < batch:
            return
        after = int(rows[-1]._mapping["seq"])


async def _check_rows(
    conn: Connection,
    tables: Iterable[Table],
    latest: dict[tuple[str, str], tuple[int, bytes]],
    last: int,
) -> Break | None:
    for table in tables:
        pk = next(iter(table.primary_key.columns))
        seen: set[str] = set()
        for r in (await conn.execute(select(table).order_by(pk))).all():
            m = r._mapping
            key = str(m[pk.name])
            seen.add(key)
            found = latest.get((table.name, key))
            where = f"{table.name} #{key}"
            if found is None:
                return Break(last, "row_unjournaled", "a row no entry records", where)
            if found[1] != _digest(row_payload(m)):
                return Break(found[0], "row_altered", "the row differs from its entry", where)
        for (name, key), (seq, _) in sorted(latest.items(), key=lambda kv: kv[1][0]):
            if name == table.name and key not in seen:
                return Break(
                    seq, "row_removed", "the row this entry records is gone", f"{name} #{key}"
                )
    return None


async def entries(conn: Connection, *, since_seq: int = 0, limit: int = 1000) -> list[Entry]:
    rows = await conn.execute(
        select(_JOURNAL).where(_JOURNAL.c.seq > since_seq).order_by(_JOURNAL.c.seq).limit(limit)
    )
    return [Entry(**{k: r._mapping[k] for k in Entry.__dataclass_fields__}) for r in rows.all()]


async def count(conn: Connection) -> int:
    return int((await conn.execute(select(func.count()).select_from(_JOURNAL))).scalar_one())


__all__ = [
    "GENESIS",
    "MIRRORED_TABLES",
    "Break",
    "Entry",
    "Head",
    "append",
    "baseline",
    "canonical",
    "entries",
    "entry_hash",
    "head",
    "mirror",
    "row_payload",
    "verify",
]
