"""Compatibility patches for python ``wechaty`` 0.10.7 (its last release) on Python 3.11.

Call :func:`apply` once before importing ``wechaty`` or ``wechaty_puppet_service``; it is
idempotent and patches classes only, never instances. Each patch below says why it exists, so
it can be dropped when the cause goes away. The version pins that go with them (``pyee<9``,
``urllib3<2``, ``betterproto==1.2.5``) live in the ``wechat`` extra of ``pyproject.toml``;
:func:`apply` checks them and names the fix instead of failing deep inside an import.

1. ``PuppetOptions.__hash__``: wechaty declares ``puppet_options: PuppetOptions =
   PuppetOptions()`` as a dataclass default. Python 3.11 refuses unhashable (mutable) dataclass
   defaults, so ``import wechaty`` raises ``ValueError`` unless the class is hashable.
2. Setter/getter fields: the 0.x client sends alias/topic/announcement *setter* values in the
   deprecated protobuf field 2 (a ``StringValue`` wrapper); 1.x puppet services read field 3,
   so a set silently became a get. 1.x services also answer getters in field 2 of the
   response, which the 0.x client never reads. The patched stub methods send the value in both
   fields and read either answer field, so they work against old and new services alike.
3. Logging: the client's ``PuppetService`` logger prints the service token at WARNING on every
   start and chats at INFO; it is raised to ERROR so secrets stay out of the bot's logs.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Optional

MARKER = "_groupguard_compat_applied"


class WeChatSupportMissing(ImportError):
    """The optional WeChat dependencies are missing or at versions the client cannot use."""


def _check_pins() -> None:
    """Fail with the fix named; pyee>=9 and urllib3>=2 break ``import wechaty`` obscurely."""
    try:
        versions = {
            name: metadata.version(name)
            for name in ("wechaty-puppet-service", "pyee", "urllib3", "betterproto")
        }
    except metadata.PackageNotFoundError as exc:
        raise WeChatSupportMissing(
            f"WeChat support is not installed ({exc.name} missing): pip install -e '.[wechat]'"
        ) from exc
    problems = []
    if int(versions["pyee"].split(".")[0]) >= 9:
        problems.append(f"pyee {versions['pyee']} (needs <9: AsyncIOEventEmitter moved)")
    if int(versions["urllib3"].split(".")[0]) >= 2:
        problems.append(f"urllib3 {versions['urllib3']} (needs <2: get_host removed)")
    if versions["betterproto"] != "1.2.5":
        problems.append(f"betterproto {versions['betterproto']} (wechaty-grpc needs 1.2.5)")
    if problems:
        raise WeChatSupportMissing(
            "WeChat support needs pinned versions: "
            + "; ".join(problems)
            + ". Reinstall with pip install -e '.[wechat]'"
        )


def _patch_puppet_options_hash() -> None:
    from wechaty_puppet.schemas.puppet import PuppetOptions

    # Identity hash is what the class had before 3.11's dataclass check looked at it.
    PuppetOptions.__hash__ = object.__hash__  # type: ignore[assignment,method-assign]


def _setter_messages() -> dict[str, tuple[type, type, str]]:
    """Request/response messages that carry a setter value in both the old and new fields.

    ``Optional[str]``, not ``str | None``: betterproto 1.2.5 only recognises ``typing.Union``.
    """
    import betterproto

    def request(name: str, value_field: str) -> type:
        annotations = {"id": str, f"{value_field}_wrapped": Optional[str], value_field: str}  # noqa: UP045
        namespace: dict[str, Any] = {
            "__annotations__": annotations,
            "id": betterproto.string_field(1),
            # Field 2: the StringValue wrapper 0.x services read (deprecated in 1.x).
            f"{value_field}_wrapped": betterproto.message_field(2, wraps=betterproto.TYPE_STRING),
            # Field 3: the proto3 ``optional string`` 1.x services read.
            value_field: betterproto.string_field(3),
        }
        return dataclass(eq=False, repr=False)(type(name, (betterproto.Message,), namespace))

    def response(name: str, value_field: str) -> type:
        annotations = {f"{value_field}_wrapped": Optional[str], value_field: str}  # noqa: UP045
        namespace: dict[str, Any] = {
            "__annotations__": annotations,
            f"{value_field}_wrapped": betterproto.message_field(1, wraps=betterproto.TYPE_STRING),
            value_field: betterproto.string_field(2),
        }
        return dataclass(eq=False, repr=False)(type(name, (betterproto.Message,), namespace))

    return {
        "contact_alias": (
            request("ContactAliasRequestCompat", "alias"),
            response("ContactAliasResponseCompat", "alias"),
            "/wechaty.Puppet/ContactAlias",
        ),
        "room_topic": (
            request("RoomTopicRequestCompat", "topic"),
            response("RoomTopicResponseCompat", "topic"),
            "/wechaty.Puppet/RoomTopic",
        ),
        "room_announce": (
            request("RoomAnnounceRequestCompat", "text"),
            response("RoomAnnounceResponseCompat", "text"),
            "/wechaty.Puppet/RoomAnnounce",
        ),
    }


def _patch_setters() -> None:
    from wechaty_grpc.wechaty import PuppetStub
    from wechaty_grpc.wechaty import puppet as pb

    # The client code reads ``response.alias`` / ``.topic`` / ``.text`` from the original
    # response classes, so the patched methods keep returning those.
    original_responses = {
        "contact_alias": (pb.ContactAliasResponse, "alias"),
        "room_topic": (pb.RoomTopicResponse, "topic"),
        "room_announce": (pb.RoomAnnounceResponse, "text"),
    }
    for method, (request_cls, response_cls, route) in _setter_messages().items():
        result_cls, value_field = original_responses[method]
        setattr(
            PuppetStub,
            method,
            _make_setter(request_cls, response_cls, route, result_cls, value_field),
        )


def _make_setter(
    request_cls: type, response_cls: type, route: str, result_cls: type, value_field: str
) -> Any:
    async def call(self: Any, *, id: str = "", **kwargs: str | None) -> Any:
        value = kwargs.get(value_field)
        request = request_cls(id=id)
        if value is not None:
            setattr(request, f"{value_field}_wrapped", value)
            setattr(request, value_field, value)
        answer = await self._unary_unary(route, request, response_cls)
        # A 1.x service answers in field 2, a 0.x one in the wrapper; an empty getter answer
        # stays None, as the client expects for "no value".
        found = getattr(answer, value_field) or getattr(answer, f"{value_field}_wrapped")
        return result_cls(**{value_field: found or None})

    call.__name__ = route.rsplit("/", 1)[-1]
    call.__doc__ = f"{route}, sending the value in fields 2 and 3 (groupguard compat patch)."
    return call


def apply() -> None:
    """Apply every patch once; safe to call again. Import wechaty only after this."""
    _check_pins()
    import wechaty_puppet

    if getattr(wechaty_puppet, MARKER, False):
        return
    _patch_puppet_options_hash()
    with warnings.catch_warnings():
        # wechaty_puppet_service imports telnetlib, deprecated since 3.11 (gone in 3.13):
        # the warning says nothing we can act on from here.
        warnings.simplefilter("ignore", DeprecationWarning)
        import wechaty_puppet_service  # noqa: F401
    logging.getLogger("PuppetService").setLevel(logging.ERROR)
    _patch_setters()
    setattr(wechaty_puppet, MARKER, True)
