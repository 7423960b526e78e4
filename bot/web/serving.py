"""Starting the console on an application: on its own (``groupguard web``) or beside the bot
in the same event loop (``groupguard run`` with ``web.enabled``), sharing its store, clock,
governance and incident desk — so a decision taken in the browser is the bot's own."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiohttp import web

    from bot.app import Application


async def start(
    app: Application,
    host: str,
    port: int,
    *,
    secure_cookie: bool = False,
    secret: str | None = None,
) -> web.AppRunner:
    """Serve the console on ``host:port`` (0: any free port); the caller cleans the runner up."""
    # Imported here: a bot without the console never loads the web stack.
    from aiohttp import web

    from bot.web.app import make_deps
    from bot.web.server import build_app

    deps = make_deps(app, secret=secret, secure_cookie=secure_cookie)
    runner = web.AppRunner(build_app(deps), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


def address(runner: web.AppRunner) -> str:
    host, port = runner.addresses[0][:2]
    return f"http://{host}:{port}/"


@asynccontextmanager
async def beside_the_bot(app: Application, announce: Callable[[str], None]) -> AsyncIterator[str]:
    """The console while the bot runs, when ``web.enabled``; yields its address ("" when off)."""
    config = app.settings.web
    if not config.enabled:
        yield ""
        return
    runner = await start(
        app,
        config.host,
        config.port,
        secure_cookie=config.secure_cookie,
        secret=os.environ.get(config.secret_env),
    )
    url = address(runner)
    announce(app.catalogue.t("web.serving", url=url))
    try:
        yield url
    finally:
        await runner.cleanup()
