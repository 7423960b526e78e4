"""``groupguard web``: serve the console; ``groupguard web passwd 姓名``: set a password."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli_config import config_option
from bot.web.serving import address, start

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.runtime import Runtime

# How the main command line reads ``-c FILE`` and builds the application with no platform
# connected; handed in by ``bot.cli`` so this module does not import it back.
LoadSettings = Callable[[Path | None], "Settings"]
BuildRuntime = Callable[["Settings"], Awaitable["Runtime"]]
MIN_PASSWORD = 10


class _Loader:
    def __init__(self, load: LoadSettings, build: BuildRuntime) -> None:
        self.load = load
        self.build = build


def _loader() -> _Loader:
    loader = click.get_current_context().find_object(_Loader)
    assert loader is not None
    return loader


@click.group("web", invoke_without_command=True)
@config_option
@click.option("--host", help="Address to listen on (default: config web.host, 127.0.0.1).")
@click.option("--port", type=int, help="Port (default: config web.port, 8080).")
@click.option(
    "--secure-cookie", is_flag=True, help="Mark the session cookie Secure (behind HTTPS)."
)
@click.pass_context
def web_group(
    ctx: click.Context, config: Path | None, host: str | None, port: int | None, secure_cookie: bool
) -> None:
    """The supervisors' web console (approvals, groups, record, incidents, reports, checker,
    settings)."""
    if ctx.invoked_subcommand is not None:
        return
    loader = _loader()
    settings = loader.load(config)
    web = settings.web  # the same section ``groupguard run`` reads; options override it

    async def serve() -> None:
        runtime = await loader.build(settings)
        await runtime.app.governance.start()  # seeds the directory from config, as `filing` does
        runner = await start(
            runtime.app,
            host or web.host,
            web.port if port is None else port,
            secure_cookie=secure_cookie or web.secure_cookie,
            secret=os.environ.get(web.secret_env),
        )
        click.echo(runtime.app.catalogue.t("web.serving", url=address(runner)))
        try:
            await asyncio.Event().wait()  # until Ctrl-C
        finally:
            await runner.cleanup()
            await runtime.close()

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how it is stopped
        asyncio.run(serve())


@web_group.command("passwd")
@config_option
@click.argument("name")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the password from stdin.")
def passwd(config: Path | None, name: str, from_stdin: bool) -> None:
    """Set the console password of NAME (a real name in the directory)."""
    from bot.web.security import Passwords
    from storage.web_logins import WebLoginRepository

    loader = _loader()
    parent = click.get_current_context().parent
    settings = loader.load(config or (parent.params.get("config") if parent else None))
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        raise click.ClickException(f"a password needs at least {MIN_PASSWORD} characters")
    hashed = Passwords().hash(password)

    async def work() -> bool:
        runtime = await loader.build(settings)
        try:
            await runtime.app.governance.start()
            if await runtime.app.directory.person(name) is None:
                return False
            now = runtime.app.clock.now()
            await runtime.app.store.write(
                lambda r: WebLoginRepository(r.c).set_password(name, hashed, now)
            )
            return True
        finally:
            await runtime.close()

    if not asyncio.run(work()):
        raise click.ClickException(f"{name}: not in the directory (directory.people)")
    click.echo(f"password set for {name}")


def command(load: LoadSettings, build: BuildRuntime) -> click.Group:
    web_group.context_settings = {**web_group.context_settings, "obj": _Loader(load, build)}
    return web_group
