"""The executor over action × capability × dry-run: each kind's spec makes the platform call
only when the platform can and the run is real, and otherwise records the documented
fallback — the same outcome in a dry run as in a real one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from core_harness import make_harness

from bot.actions.spec import Target
from bot.ports import Capabilities
from rules.actions import Action, ActionKind
from rules.decisions import Decision

FULL = Capabilities(
    delete_message=True, mute=True, remove=True, ban=True, quiet_group=True, buttons=True
)
NONE = Capabilities()

# kind → (the console adapter's call it makes, the outcome without the capability)
TABLE = {
    ActionKind.DELETE: ("delete_message", "fallback"),
    ActionKind.MUTE: ("mute", "fallback"),
    ActionKind.REMOVE: ("remove", "fallback"),
    ActionKind.BLACKLIST: (None, "done"),  # recorded and enforced by the rules on rejoin
    ActionKind.QUIET: ("set_quiet", "fallback"),
}


@pytest.mark.parametrize("dry_run", [False, True], ids=["real", "dry-run"])
@pytest.mark.parametrize("caps", [FULL, NONE], ids=["capable", "incapable"])
@pytest.mark.parametrize("kind", list(TABLE), ids=str)
async def test_action_by_capability_and_dry_run(sqlite_url, kind, caps, dry_run) -> None:  # type: ignore[no-untyped-def]
    h = await make_harness(sqlite_url, dry_run=dry_run)
    h.app.executor.adapter_for("console").capabilities = caps  # type: ignore[union-attr]
    duration = timedelta(hours=1) if kind in (ActionKind.MUTE, ActionKind.QUIET) else None
    decision = Decision(
        rule="test",
        article="R1 Art.10",
        category="abuse",
        severity="medium",
        actions=(Action(kind, duration=duration),),
        user_id="u7",
        message_id="m7",
    )
    applied = await h.app.executor.apply_one(
        Target("console", "console-group", None, "u7", "李四-办公室"), decision
    )
    (outcome,) = [o for _, o in applied.outcomes]
    call, without = TABLE[kind]
    expected_status = "done" if caps is FULL else without
    assert outcome.status == expected_status, outcome
    made = [c[0] for c in h.adapter.calls]
    if dry_run or caps is NONE or call is None:
        assert call not in made  # a dry run never reaches the platform
    else:
        assert call in made
    rows = await h.audit(user_id="u7") if kind is not ActionKind.QUIET else await h.audit()
    assert (str(kind), expected_status) in [(r["kind"], r["outcome"]) for r in rows]
    await h.close()


async def test_an_escalation_says_what_really_happened(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    """Rendered from outcomes: a delete the platform refused is not reported as done."""
    h = await make_harness(sqlite_url)

    async def refuse(*_a: object) -> None:
        from bot.ports import PlatformError

        raise PlatformError("forbidden", "message can't be deleted")

    h.adapter.delete_message = refuse  # type: ignore[method-assign]
    decision = Decision(
        rule="test",
        article="R1 Art.6",
        category="harmful",
        severity="high",
        actions=(Action(ActionKind.DELETE), Action(ActionKind.ESCALATE, tier=1)),
        user_id="u7",
        message_id="m7",
    )
    await h.app.executor.apply_one(
        Target("console", "console-group", None, "u7", "李四-办公室"), decision
    )
    (text,) = h.sent_to("tier1-分管负责人")
    assert "删除消息（未成功）" in text
    await h.close()
