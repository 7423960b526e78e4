"""The web console's routes, and the application serving them."""

from __future__ import annotations

from aiohttp import web

from bot.web import handlers as h
from bot.web.app import (
    DEPS,
    STATIC,
    WebDeps,
    csrf_middleware,
    home,
    language,
    login_middleware,
    login_page,
    login_post,
    logout,
    session_middleware,
)
from bot.web.incident_page import add_incident_page
from bot.web.pages import add_pages
from bot.web.settings_page import add_settings_page


def build_app(deps: WebDeps) -> web.Application:
    app = web.Application(
        middlewares=[session_middleware, csrf_middleware, login_middleware],
        client_max_size=256 * 1024,  # forms only: no uploads here
    )
    app[DEPS] = deps
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login_post)
    app.router.add_post("/logout", logout)
    app.router.add_post("/lang", language)
    app.router.add_get("/", home)
    app.router.add_get("/inbox", h.inbox)
    app.router.add_post("/inbox/{filing_id:\\d{1,18}}", h.decide)
    app.router.add_get("/groups", h.groups_page)
    app.router.add_get("/groups/{platform}/{chat_id}", h.group_page)
    app.router.add_get("/record", h.record_page)
    app.router.add_get("/record/verify", h.record_verify)
    app.router.add_get("/check", h.check_page)
    app.router.add_post("/check", h.check_page)
    add_pages(app)
    add_incident_page(app)
    add_settings_page(app)
    app.router.add_static("/static/", STATIC)
    return app
