"""One parser for slash-command text, shared by every adapter that sees commands as text."""

from __future__ import annotations

import shlex

# Full-width slash and space appear when members type on Chinese input methods.
_SLASHES = ("/", "／")


def split_command(text: str, bot_username: str | None = None) -> tuple[str, tuple[str, ...]] | None:
    """``"/mute@gg_bot 10m spam"`` → ``("mute", ("10m", "spam"))``; None if not a command.

    A command addressed to another bot (``/mute@other_bot``) is not ours and returns None.
    Quotes group words (``/warn "刷屏 广告"``); unbalanced quotes fall back to plain splitting
    rather than rejecting the command.
    """
    stripped = text.strip().replace("\u3000", " ")
    if not stripped or stripped[0] not in _SLASHES:
        return None
    # Any whitespace ends the name: ``/filing`` is followed by a line break and its form. A bare
    # slash has neither name nor rest.
    head, rest = [*stripped[1:].split(None, 1), "", ""][:2]
    name, _, addressee = head.partition("@")
    if not name or not all(c.isascii() and (c.isalnum() or c == "_") for c in name):
        return None
    if addressee and bot_username and addressee.lower() != bot_username.lower().lstrip("@"):
        return None
    try:
        args = tuple(shlex.split(rest))
    except ValueError:
        args = tuple(rest.split())
    return name.lower(), args
