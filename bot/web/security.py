"""Passwords, signed-cookie sessions and CSRF tokens for the web console.

Passwords are argon2id hashes (argon2-cffi's defaults, rehashed when those change). The
session is a cookie signed with itsdangerous (HMAC-SHA256 over a JSON body; stateless, so a
second console process behind the same proxy accepts it given the same secret). It holds the
person's name, a CSRF token and the chosen language; the roles are read from the directory on
every request, never trusted from the cookie."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "gg_session"
# The form field and the header (HTMX sends it from <body hx-headers>) carrying the token.
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(slots=True)
class Session:
    csrf: str
    name: str | None = None
    lang: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def dump(self) -> dict[str, Any]:
        return {"csrf": self.csrf, "name": self.name, "lang": self.lang}


class Passwords:
    def __init__(self) -> None:
        self._hasher = PasswordHasher()

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def dummy_verify(self, password: str) -> None:
        """Spend the time of a real check for an unknown name, so timing tells nothing."""
        self.verify(self._hasher.hash("-"), password)


class Sessions:
    def __init__(self, secret: str, max_age: timedelta) -> None:
        self._signer = URLSafeTimedSerializer(secret, salt="groupguard-web-session")
        self.max_age = max_age

    def new(self) -> Session:
        return Session(csrf=secrets.token_urlsafe(32))

    def load(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        try:
            data = self._signer.loads(cookie, max_age=int(self.max_age.total_seconds()))
        except BadSignature:  # also an expired one (SignatureExpired is a BadSignature)
            return None
        if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
            return None
        name = data.get("name")
        lang = data.get("lang")
        return Session(
            csrf=data["csrf"],
            name=name if isinstance(name, str) else None,
            lang=lang if isinstance(lang, str) else None,
        )

    def dump(self, session: Session) -> str:
        return self._signer.dumps(session.dump())


def same_token(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def mask_login(name: str) -> str:
    """A login name as the journal keeps it: its first character and a star per further one
    (at most 8), so a password typed into the name field is never recorded."""
    head = name.strip()[:1]
    return head + "*" * min(max(len(name.strip()) - 1, 1), 8) if head else "-"
