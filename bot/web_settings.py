"""Config for serving the web console inside ``groupguard run`` (issue 18). A module of its
own, like the governance and members sections, so ``bot.config`` imports it without a cycle
and ``bot.web`` is not imported unless the console is switched on."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class WebSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Off by default: a bot that opens a port nobody asked for is a surprise in production.
    enabled: bool = False
    # Keep 127.0.0.1 and put a TLS reverse proxy in front (README: Web console).
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)  # 0: any free port (tests)
    # Behind HTTPS: the session cookie is then only ever sent over TLS.
    secure_cookie: bool = False
    # The environment variable holding the cookie-signing secret; unset, a random one per
    # process (sessions then end with a restart). Never the secret itself in the file.
    secret_env: str = "GROUPGUARD_WEB_SECRET"
