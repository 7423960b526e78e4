"""The web console's aiohttp application: middlewares (session, CSRF, login, roles) and the
pages. Everything it needs is handed in (``WebDeps``); it holds no state of its own beyond
the request. Decisions go through the same governance service as the chat buttons, and
every refusal is journaled through the executor's ``record`` like a refused command."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from aiohttp import web

from bot.actions.spec import Target
from bot.i18n import LANGUAGES, Catalogue
from bot.web.access import Viewer, viewer_for
from bot.web.head_cache import HeadCache
from bot.web.security import (
    COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    Passwords,
    Session,
    Sessions,
    mask_login,
    same_token,
)
from rules.decisions import Decision
from storage import journal
from storage.directory import DirectoryRepository, RegistryRow
from storage.web_logins import WebLoginRepository

if TYPE_CHECKING:
    from bot.app import Application

STATIC = Path(__file__).parent / "static"
ARTICLE = "R1 Art.15"  # 督查: what a supervisor may read, and who tried to read more
LOCK_AFTER = 5  # failed logins in a row
LOCK_FOR = timedelta(minutes=15)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class WebDeps:
    app: Application
    sessions: Sessions
    passwords: Passwords
    templates: jinja2.Environment
    catalogues: dict[str, Catalogue]
    secure_cookie: bool = False  # set behind an HTTPS proxy
    # The record page's chain check (rechecked at least every 10 minutes) and rendered reports.
    verified: HeadCache[journal.Break | None] = field(
        default_factory=lambda: HeadCache(max_age=timedelta(minutes=10), size=1)
    )
    reports: HeadCache[bytes] = field(default_factory=lambda: HeadCache(size=32))


DEPS = web.AppKey("deps", WebDeps)
SESSION = web.RequestKey("session", Session)
VIEWER = web.RequestKey("viewer", Viewer)
GROUPS = web.RequestKey("groups", list)  # the registry, read once per request


def templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("bot.web", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,  # a typo in a template fails the test, not silently
    )


def make_deps(application: Application, *, secret: str | None, secure_cookie: bool) -> WebDeps:
    # No secret configured: a random one per process; sessions then end with the process.
    return WebDeps(
        app=application,
        sessions=Sessions(secret or secrets.token_urlsafe(48), timedelta(hours=8)),
        passwords=Passwords(),
        templates=templates(),
        catalogues={lang: Catalogue(lang) for lang in LANGUAGES},
        secure_cookie=secure_cookie,
    )


# ---------------------------------------------------------------------------- helpers
def redirect(location: str) -> web.Response:
    # Returned, not raised: a raised one would skip the session middleware's cookie.
    return web.Response(status=303, headers={"Location": location})


def _deps(request: web.Request) -> WebDeps:
    return request.app[DEPS]


def _session(request: web.Request) -> Session:
    session: Session = request[SESSION]
    return session


def _viewer(request: web.Request) -> Viewer:
    viewer: Viewer = request[VIEWER]
    return viewer


def _catalogue(request: web.Request) -> Catalogue:
    deps = _deps(request)
    lang = _session(request).lang or deps.app.settings.language
    return deps.catalogues.get(lang, deps.catalogues[deps.app.settings.language])


def _t(request: web.Request) -> Callable[..., str]:
    return _catalogue(request).t


def _word(catalogue: Catalogue, group: str, value: str | None) -> str:
    """A recorded code (an action kind, a category, an outcome) in words from the catalogue;
    only a code of no known workflow is shown as it is."""
    if not value:
        return "—"
    key = f"{group}.{value}"
    if catalogue.has(key):
        return catalogue.t(key)
    if group == "action" and ":" in value:
        # A workflow's own kind (gov:step_approved, mem:task_done, web:csrf): its words, or
        # at least the workflow's, never the code.
        prefix, _, rest = value.partition(":")
        for candidate in (f"record_kind.{prefix}.{rest}", f"record_kind.{prefix}._other"):
            if catalogue.has(candidate):
                return catalogue.t(candidate)
    return value


def _local(request: web.Request, moment: datetime | None) -> str:
    if moment is None:
        return "—"
    zone = _deps(request).app.settings.zone
    return moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def render(request: web.Request, name: str, status: int = 200, **context: Any) -> web.Response:
    deps = _deps(request)
    session = _session(request)
    catalogue = _catalogue(request)
    body = deps.templates.get_template(name).render(
        t=catalogue.t,
        word=lambda group, value: _word(catalogue, group, value),
        csrf=session.csrf,
        viewer=request.get(VIEWER),
        lang=session.lang or deps.app.settings.language,
        languages=LANGUAGES,
        path=request.path,
        local=lambda m: _local(request, m),
        **context,
    )
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


async def refuse(
    request: web.Request, what: str, *, group: RegistryRow | None = None, detail: str = ""
) -> web.Response:
    """403, journaled like a refused command: who, what they asked for, against the group."""
    await journal_refusal(request, what, group=group, detail=detail)
    return render(request, "forbidden.html", status=403, what=what)


async def journal_refusal(
    request: web.Request, what: str, *, group: RegistryRow | None = None, detail: str = ""
) -> None:
    """A refusal in the record, as the chat journals one (``groupguard audit --category
    command`` and the record page list it), whatever page then answers."""
    deps = _deps(request)
    session = _session(request)
    where = (group.platform, group.chat_id) if group else ("web", "-")
    await deps.app.executor.record(
        Target(*where, None, None, "", actor=f"web:{session.name or '-'}"),
        Decision(
            rule="web",
            article=ARTICLE,
            category="refused",
            severity="info",
            actions=(),
            reason=f"web:{what}",
        ),
        f"web:{what}",
        {"path": request.path_qs, "method": request.method},
        "refused",
        detail or what,
    )


# ---------------------------------------------------------------------------- middlewares
@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    deps = _deps(request)
    loaded = deps.sessions.load(request.cookies.get(COOKIE))
    session = loaded or deps.sessions.new()
    request[SESSION] = session
    before = session.dump()
    response = await handler(request)
    if loaded is None or session.dump() != before:
        response.set_cookie(
            COOKIE,
            deps.sessions.dump(session),
            max_age=int(deps.sessions.max_age.total_seconds()),
            httponly=True,  # no script reads it
            samesite="Strict",  # a second line against cross-site requests, after the token
            secure=deps.secure_cookie,
            path="/",
        )
    return response


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        given = request.headers.get(CSRF_HEADER)
        if given is None:
            form = await request.post()
            value = form.get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
        if not same_token(_session(request).csrf, given):
            return await refuse(request, "csrf", detail="missing or wrong CSRF token")
    return await handler(request)


OPEN_PATHS = ("/login", "/static/")


@web.middleware
async def login_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(OPEN_PATHS):
        return await handler(request)
    session = _session(request)
    deps = _deps(request)
    person = None
    if session.name:
        person = await deps.app.directory.person(session.name)
    if person is None:  # never logged in, or no longer in the directory
        session.name = None
        if request.headers.get("HX-Request"):
            return web.Response(status=401, headers={"HX-Redirect": "/login"})
        return redirect("/login")
    groups = await deps.app.store.read(lambda r: DirectoryRepository(r.c).groups())
    request[VIEWER] = viewer_for(person, deps.app.settings, groups)
    request[GROUPS] = groups
    return await handler(request)


# ---------------------------------------------------------------------------- login
async def login_page(request: web.Request) -> web.Response:
    return render(request, "login.html", error=None)


async def login_post(request: web.Request) -> web.StreamResponse:
    deps = _deps(request)
    t = _t(request)
    form = await request.post()
    name = str(form.get("name", "")).strip()
    password = str(form.get("password", ""))
    now = deps.app.clock.now()
    row = await deps.app.store.read(lambda r: WebLoginRepository(r.c).get(name))
    shown = mask_login(name)
    if row is None:
        deps.passwords.dummy_verify(password)
        # Journaled too: guessing names is part of an attack the supervisors should see.
        await deps.app.store.write(
            lambda r: WebLoginRepository(r.c).failed(
                name, now, LOCK_AFTER, now + LOCK_FOR, shown=shown
            )
        )
        return render(request, "login.html", status=401, error=t("web.login_wrong"))
    if row.locked_until is not None and row.locked_until > now:
        return render(
            request,
            "login.html",
            status=429,
            error=t("web.login_locked", until=_local(request, row.locked_until)),
        )
    if not deps.passwords.verify(row.password_hash, password):
        locked = await deps.app.store.write(
            lambda r: WebLoginRepository(r.c).failed(
                name, now, LOCK_AFTER, now + LOCK_FOR, shown=shown
            )
        )
        error = (
            t("web.login_locked", until=_local(request, now + LOCK_FOR))
            if locked
            else t("web.login_wrong")
        )
        return render(request, "login.html", status=429 if locked else 401, error=error)
    await deps.app.store.write(lambda r: WebLoginRepository(r.c).succeeded(name, now))
    session = _session(request)
    # A fresh token at login: one planted before it is worthless after.
    session.csrf = deps.sessions.new().csrf
    session.name = name
    return redirect("/inbox")


async def logout(request: web.Request) -> web.StreamResponse:
    session = _session(request)
    session.name = None
    session.csrf = _deps(request).sessions.new().csrf
    return redirect("/login")


async def language(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    chosen = str(form.get("lang", ""))
    if chosen in LANGUAGES:
        _session(request).lang = chosen
    back = str(form.get("next", "/"))
    return redirect(back if back.startswith("/") and not back.startswith("//") else "/")


async def home(request: web.Request) -> web.StreamResponse:
    return redirect("/inbox")
