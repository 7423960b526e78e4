"""Prometheus metrics: what the bot received, decided and did, how long it took, and what waits.

One :class:`Metrics` per application, with its own ``CollectorRegistry``: two applications in
one process (the tests run many) never share or double-register a series, and nothing here is
module-level state. The code that observes something is handed this object; it never looks
for a global one. ``docs/metrics.md`` lists every series with its labels and PromQL.

Labels are kept to bounded sets — platform, event kind, rule, category, action kind, outcome,
adapter method, error kind, timer kind — never a chat, a member or a text.
"""

from __future__ import annotations

import inspect
import socket
import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.events import (
    AnyEvent,
    ButtonPressed,
    CommandIssued,
    JoinRequested,
    MemberJoined,
    MemberLeft,
    MessageEdited,
    MessagePosted,
    NicknameChanged,
)
from bot.ports import PlatformError
from rules.actions import Action
from rules.decisions import Decision

if TYPE_CHECKING:
    from bot.actions.spec import Outcome

CONTENT_TYPE = CONTENT_TYPE_LATEST

# Event received → handled, decisions applied included. Most messages need nothing and take
# a millisecond or two (the hot path); an action adds platform round trips (100 ms – seconds,
# more with 429 back-off), hence the long tail.
HANDLING_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
)
# A timer fires on the scheduler's next poll (timer_poll, 1 s): lateness beyond a few polls
# means the scheduler is blocked or an instance was down.
LATENESS_BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 21600.0)

# Most specific class first: an edit is a MessagePosted too.
_KINDS: tuple[tuple[type, str], ...] = (
    (MessageEdited, "edit"),
    (MessagePosted, "message"),
    (CommandIssued, "command"),
    (ButtonPressed, "button"),
    (MemberJoined, "join"),
    (MemberLeft, "leave"),
    (NicknameChanged, "nickname"),
    (JoinRequested, "join_request"),
)


def event_kind(event: AnyEvent) -> str:
    for cls, name in _KINDS:
        if isinstance(event, cls):
            return name
    return "other"


def _platform(event: AnyEvent) -> str:
    # Scripted sessions hand the application their notes too; they have no platform.
    return getattr(event, "platform", "none")


def _version() -> str:
    try:
        return version("groupguard")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


class Metrics:
    def __init__(self, instance_id: str | None = None) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        info = Gauge(
            "groupguard_instance_info",
            "Always 1; labels name this instance (join on it to tell instances apart).",
            ["instance_id", "version"],
            registry=r,
        )
        info.labels(instance_id or socket.gethostname(), _version()).set(1)
        self.updates = Counter(
            "groupguard_updates",
            "Events the application received from the platforms, by platform and kind.",
            ["platform", "kind"],
            registry=r,
        )
        self.duplicates = Counter(
            "groupguard_updates_duplicate",
            "Events dropped as repeats of an update already handled (redeliveries, replays).",
            ["platform"],
            registry=r,
        )
        self.handling = Histogram(
            "groupguard_handling_seconds",
            "Seconds from an event reaching the application to the end of its handling "
            "(decisions applied, outcomes journaled).",
            ["platform", "result"],
            buckets=HANDLING_BUCKETS,
            registry=r,
        )
        self.decisions = Counter(
            "groupguard_decisions",
            "Decisions applied (rules engine, admin commands, timers, workflows).",
            ["platform", "category", "rule"],
            registry=r,
        )
        self.actions = Counter(
            "groupguard_actions",
            "Actions run by the executor, by kind and outcome (done, fallback, failed, ...).",
            ["platform", "kind", "outcome"],
            registry=r,
        )
        self.platform_calls = Counter(
            "groupguard_platform_calls",
            "Calls the core made to an adapter method (each retry is a call).",
            ["platform", "method"],
            registry=r,
        )
        self.platform_errors = Counter(
            "groupguard_platform_errors",
            "Adapter calls that raised a platform error, by error kind.",
            ["platform", "method", "kind"],
            registry=r,
        )
        self.platform_retries = Counter(
            "groupguard_platform_retries",
            "Platform calls retried after a 429 or a transient error.",
            ["platform", "method", "kind"],
            registry=r,
        )
        self.timers_fired = Counter(
            "groupguard_timers_fired",
            "Timer rows fired by the scheduler, by kind.",
            ["kind"],
            registry=r,
        )
        self.timer_lateness = Histogram(
            "groupguard_timer_lateness_seconds",
            "Seconds between a timer's due time and its firing.",
            ["kind"],
            buckets=LATENESS_BUCKETS,
            registry=r,
        )
        self.lane_waiting = Gauge(
            "groupguard_lane_waiting",
            "Updates waiting in the per-chat lanes (read at scrape time).",
            ["platform"],
            registry=r,
        )
        self.hot_path_pending = Gauge(
            "groupguard_hot_path_pending_rows",
            "Rows queued for the hot path's next group commit (read at scrape time).",
            registry=r,
        )
        self.inbox_pending = Gauge(
            "groupguard_inbox_pending",
            "Updates recorded in the inbox and not yet handled (read at scrape time).",
            ["platform"],
            registry=r,
        )
        self.timers_overdue = Gauge(
            "groupguard_timers_overdue",
            "Armed timers whose due time has passed (read at scrape time).",
            registry=r,
        )
        self.ready = Gauge(
            "groupguard_ready",
            "1 when the last readiness check passed (database answering, adapters started).",
            registry=r,
        )
        self._inbox_platforms: set[str] = set()
        # Children looked up once: every event passes here, and labels() validates and locks.
        self._received: dict[tuple[str, type], Any] = {}
        self._handled: dict[tuple[str, str], Any] = {}

    # ------------------------------------------------------------------ events
    def received(self, event: AnyEvent) -> float:
        """Count the event; returns the start of its handling for :meth:`handled`."""
        key = (_platform(event), type(event))
        child = self._received.get(key)
        if child is None:
            child = self._received[key] = self.updates.labels(key[0], event_kind(event))
        child.inc()
        return time.perf_counter()

    def handled(self, event: AnyEvent, started: float, *, decided: bool, duplicate: bool) -> None:
        result = "duplicate" if duplicate else ("decided" if decided else "none")
        if duplicate:
            self.duplicates.labels(_platform(event)).inc()
        key = (_platform(event), result)
        child = self._handled.get(key)
        if child is None:
            child = self._handled[key] = self.handling.labels(*key)
        child.observe(time.perf_counter() - started)

    # ------------------------------------------------------------------ executor
    def applied(
        self,
        platform: str,
        decision: Decision,
        planned: Sequence[tuple[Action, Any]],
        outcomes: Sequence[Outcome],
    ) -> None:
        """One decision and the outcome of each of its actions."""
        self.decisions.labels(platform, decision.category, decision.rule).inc()
        for (action, _), outcome in zip(planned, outcomes, strict=True):
            self.actions.labels(platform, str(action.kind), outcome.status).inc()

    def retried(self, exc: PlatformError) -> None:
        platform, method = exc.source or ("unknown", "unknown")
        self.platform_retries.labels(platform, method, exc.kind).inc()

    def meter(self, adapter: Any) -> Any:
        """The adapter as the executor should call it: every call counted, and every platform
        error counted and marked with where it came from (for the retry counter)."""
        return MeteredAdapter(adapter, self)

    # ------------------------------------------------------------------ scheduler
    def timer_fired(self, kind: str, late: timedelta) -> None:
        self.timers_fired.labels(kind).inc()
        self.timer_lateness.labels(kind).observe(max(late.total_seconds(), 0.0))

    # ------------------------------------------------------------------ scrape
    def sample(
        self,
        *,
        lanes: Mapping[str, int],
        hot_path_pending: int,
        inbox_pending: Mapping[str, int] | None = None,
        timers_overdue: int | None = None,
    ) -> None:
        """Set the gauges read at scrape time; None leaves a database-backed gauge as it was
        (the database did not answer in time)."""
        for platform, waiting in lanes.items():
            self.lane_waiting.labels(platform).set(waiting)
        self.hot_path_pending.set(hot_path_pending)
        if inbox_pending is not None:
            # A platform whose backlog drained has no row left: it reads 0, not its last value.
            self._inbox_platforms |= set(inbox_pending)
            for platform in self._inbox_platforms:
                self.inbox_pending.labels(platform).set(inbox_pending.get(platform, 0))
        if timers_overdue is not None:
            self.timers_overdue.set(timers_overdue)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class MeteredAdapter:
    """Passes everything through to the adapter; coroutine methods are counted on the way.

    A wrapper rather than a line in each action spec, like ``DryRunAdapter``: the specs call
    ``ctx.adapter.<method>`` and stay unaware of it."""

    def __init__(self, inner: Any, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics
        self.platform: str = inner.platform

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name.startswith("_") or not inspect.iscoroutinefunction(attribute):
            return attribute
        metrics, platform = self._metrics, self.platform

        async def metered(*args: Any, **kwargs: Any) -> Any:
            metrics.platform_calls.labels(platform, name).inc()
            try:
                return await attribute(*args, **kwargs)
            except PlatformError as exc:
                metrics.platform_errors.labels(platform, name, exc.kind).inc()
                if exc.source is None:
                    exc.source = (platform, name)
                raise

        return metered

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        # The adapter's class: on Python 3.12 isinstance() against a runtime-checkable port
        # protocol (AnswersJoinRequests, SetsNicknames) reads attributes statically and would
        # miss the ones __getattr__ forwards; through __class__ it checks the real adapter.
        return type(self._inner)

    def __setattr__(self, name: str, value: Any) -> None:
        # Settings made through the executor's view (a test's capabilities) reach the adapter.
        if name in ("_inner", "_metrics", "platform"):
            object.__setattr__(self, name, value)
        else:
            setattr(self._inner, name, value)


__all__ = ["CONTENT_TYPE", "MeteredAdapter", "Metrics", "event_kind"]
