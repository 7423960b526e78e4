"""Web-console logins: one row per person (the directory's real name) holding an argon2 hash
and the count of failed attempts since the last success. Each method runs on the caller's
connection, inside its transaction. Setting a password and a lockout are journaled (the hash
itself is not: the journal is read by supervisors)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import journal
from storage.models import WebLogin


@dataclass(frozen=True, slots=True)
class LoginRow:
    name: str
    password_hash: str
    failures: int
    locked_until: datetime | None


class WebLoginRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.c = connection

    async def get(self, name: str) -> LoginRow | None:
        row = (
            await self.c.execute(
                select(
                    WebLogin.name, WebLogin.password_hash, WebLogin.failures, WebLogin.locked_until
                ).where(WebLogin.name == name)
            )
        ).first()
        return LoginRow(*row) if row else None

    async def set_password(self, name: str, password_hash: str, at: datetime) -> None:
        values = {"password_hash": password_hash, "failures": 0, "locked_until": None}
        done = await self.c.execute(
            update(WebLogin).where(WebLogin.name == name).values(updated_at=at, **values)
        )
        if not done.rowcount:
            await self.c.execute(insert(WebLogin).values(name=name, updated_at=at, **values))
        await journal.append(self.c, "web.password_set", {"name": name}, at=at)

    async def failed(
        self, name: str, at: datetime, limit: int, lock_until: datetime, *, shown: str
    ) -> bool:
        """Count a failed attempt (journaled as ``shown``, the masked name, also for a name
        with no login); returns True when this one locks the account."""
        row = await self.get(name)
        failures = row.failures + 1 if row is not None else 0
        await journal.append(
            self.c,
            "web.login_failed",
            {"name": shown, "known": row is not None, "failures": failures},
            at=at,
        )
        if row is None:
            return False
        locks = failures >= limit
        await self.c.execute(
            update(WebLogin)
            .where(WebLogin.name == name)
            .values(
                failures=0 if locks else failures,
                locked_until=lock_until if locks else row.locked_until,
                updated_at=at,
            )
        )
        if locks:
            await journal.append(self.c, "web.locked", {"name": shown, "until": lock_until}, at=at)
        return locks

    async def succeeded(self, name: str, at: datetime) -> None:
        await self.c.execute(
            update(WebLogin)
            .where(WebLogin.name == name)
            .values(failures=0, locked_until=None, updated_at=at)
        )
