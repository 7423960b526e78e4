"""The rules engine is pure: observation + policy + member record in, decisions out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rules.actions import ActionKind, parse_action
from rules.detection.hits import Hit
from rules.engine import Engine, discover_rules
from rules.nickname import nickname_complies
from rules.observation import GroupState, Kind, MemberRecord, Observation
from rules.policy import DEFAULT_NICKNAME_PATTERN, GroupPolicy

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class ScriptedDetector:
    """Returns fixed hits: the engine's job is the ladder, not detection."""

    def __init__(self, *hits: Hit) -> None:
        self.hits = list(hits)
        self.term_count = 0

    def detect(self, text, **_):  # type: ignore[no-untyped-def]
        return [h for h in self.hits if h.match in text]


def harmful(match: str = "脏话") -> Hit:
    return Hit("harmful", "vulgarity", "R1 Art.9", match, 0, len(match), "vulgar", "lexicon")


def illegal(match: str = "赌博") -> Hit:
    return Hit("illegal", "gambling", "R1 Art.7", match, 0, len(match), "gambling", "lexicon")


def message(text: str, nickname: str = "张三-党群工作部", **kw) -> Observation:  # type: ignore[no-untyped-def]
    return Observation(
        kind=Kind.MESSAGE, user_id="u1", nickname=nickname, at=NOW, message_id="m1", text=text, **kw
    )


def kinds(decision) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(a) for a in decision.actions]


def test_rules_are_discovered_in_hard_policy_first_order() -> None:
    assert [r.id for r in discover_rules()] == [
        "blacklist",
        "restriction",
        "quiet",
        "flood",
        "nickname",
        "content",
    ]


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("张三-党群工作部", True),
        ("李四—财务科", True),
        ("王五·办公室", True),
        ("赵六（社区居委会）", True),
        ("欧阳娜娜-团委", True),
        ("张三－党群工作部", True),
        ("小明", False),
        ("Tom-IT", False),
        ("张三", False),
        ("张三-", False),
        ("张\u200b三-党群工作部", False),
        ("", False),
        ("张三丰李四王五-办公室", False),
    ],
)
def test_default_nickname_pattern_is_real_name_plus_unit(name: str, ok: bool) -> None:
    assert nickname_complies(name, DEFAULT_NICKNAME_PATTERN) is ok


def test_harmful_ladder_warns_then_mutes_then_removes() -> None:
    engine = Engine(ScriptedDetector(harmful()))
    policy = GroupPolicy()
    steps = []
    for previous in range(4):
        record = MemberRecord(known_nickname="张三-党群工作部", offences={"harmful": previous})
        (decision,) = engine.decide(message("你这个脏话"), policy, record)
        assert decision.category == "harmful" and decision.article == "R1 Art.9"
        assert decision.offence_number == previous + 1
        steps.append(kinds(decision))
    assert steps[0] == ["delete", "warn", "escalate:1"]
    assert steps[1] == ["delete", "mute:1h", "escalate:1"]
    assert steps[2] == ["delete", "remove", "escalate:1", "escalate:2"]
    assert steps[3] == steps[2]  # beyond the last step the last step repeats


def test_illegal_content_blacklists_and_escalates_to_both_tiers_at_once() -> None:
    engine = Engine(ScriptedDetector(illegal()))
    (decision,) = engine.decide(
        message("一起赌博"), GroupPolicy(), MemberRecord(known_nickname="张三-党群工作部")
    )
    assert kinds(decision) == ["delete", "blacklist", "escalate:1", "escalate:2"]
    assert decision.evidence[0].match == "赌博" and decision.severity == "critical"


def test_two_categories_in_one_message_do_not_delete_twice() -> None:
    engine = Engine(ScriptedDetector(illegal(), harmful()))
    decisions = engine.decide(
        message("赌博 脏话"), GroupPolicy(), MemberRecord(known_nickname="张三-党群工作部")
    )
    assert [d.category for d in decisions] == ["illegal", "harmful"]
    assert "delete" in kinds(decisions[0]) and "delete" not in kinds(decisions[1])
    assert all(d.counts_as_offence for d in decisions)


def test_bad_nickname_on_join_gets_reminder_and_grace_deadline() -> None:
    engine = Engine(ScriptedDetector())
    obs = Observation(kind=Kind.JOIN, user_id="u2", nickname="小明", at=NOW)
    (decision,) = engine.decide(obs, GroupPolicy(), MemberRecord())
    assert decision.rule == "nickname" and decision.article == "R1 Art.4"
    assert decision.actions[0].kind is ActionKind.REMIND
    assert decision.actions[1].kind is ActionKind.ARM_DEADLINE
    assert decision.actions[1].duration == timedelta(hours=24)


def test_fixing_the_name_cancels_the_deadline_and_deadline_acts_if_not() -> None:
    engine = Engine(ScriptedDetector())
    policy = GroupPolicy()
    armed = MemberRecord(known_nickname="小明", deadline_armed=True)
    fixed = Observation(kind=Kind.NICKNAME, user_id="u2", nickname="李明-财务科", at=NOW)
    (decision,) = engine.decide(fixed, policy, armed)
    assert kinds(decision) == ["cancel_deadline"]
    expired = Observation(kind=Kind.DEADLINE, user_id="u2", nickname="小明", at=NOW)
    (decision,) = engine.decide(expired, policy, armed)
    assert kinds(decision) == ["remove", "notify_admins"]


def test_admins_follow_the_real_name_rule_unless_exempted() -> None:
    engine = Engine(ScriptedDetector())
    obs = Observation(kind=Kind.JOIN, user_id="a1", nickname="boss", at=NOW)
    assert engine.decide(obs, GroupPolicy(), MemberRecord(is_admin=True))
    exempt = GroupPolicy.model_validate({"nickname": {"exempt_admins": True}})
    assert engine.decide(obs, exempt, MemberRecord(is_admin=True)) == []


def test_message_with_changed_name_is_rechecked_but_unchanged_name_is_cheap() -> None:
    engine = Engine(ScriptedDetector())
    same = engine.decide(
        message("hi", nickname="小明"),
        GroupPolicy(),
        MemberRecord(known_nickname="小明", deadline_armed=True),
    )
    assert same == []  # already reminded; the deadline will act
    changed = engine.decide(
        message("hi", nickname="明明"),
        GroupPolicy(),
        MemberRecord(known_nickname="张三-党群工作部"),
    )
    assert changed and changed[0].rule == "nickname"


def test_blacklisted_member_is_removed_before_any_other_rule() -> None:
    engine = Engine(ScriptedDetector(harmful()))
    decisions = engine.decide(
        message("脏话"),
        GroupPolicy(),
        MemberRecord(known_nickname="张三-党群工作部", blacklisted=True),
    )
    # The blacklist acts first; harmful content is still reported (hard policy does not hide
    # what the regulations require reporting).
    assert [d.rule for d in decisions] == ["blacklist", "content"]
    assert kinds(decisions[0]) == ["delete", "blacklist", "notify_admins"]
    assert decisions[1].category == "harmful"


def test_speaking_while_restricted_climbs_to_removal() -> None:
    engine = Engine(ScriptedDetector())
    until = NOW + timedelta(hours=1)
    first = engine.decide(
        message("hi"),
        GroupPolicy(),
        MemberRecord(known_nickname="张三-党群工作部", restricted_until=until),
    )
    second = engine.decide(
        message("hi"),
        GroupPolicy(),
        MemberRecord(
            known_nickname="张三-党群工作部", restricted_until=until, offences={"restricted": 1}
        ),
    )
    assert kinds(first[0]) == ["delete", "warn"]
    assert kinds(second[0]) == ["delete", "remove", "notify_admins"]
    after = engine.decide(
        message("hi"),
        GroupPolicy(),
        MemberRecord(known_nickname="张三-党群工作部", restricted_until=NOW - timedelta(seconds=1)),
    )
    assert after == []


def test_quiet_mode_deletes_member_messages_but_not_admin_ones() -> None:
    engine = Engine(ScriptedDetector())
    quiet = GroupState(quiet=True)
    (decision,) = engine.decide(
        message("hi"), GroupPolicy(), MemberRecord(known_nickname="张三-党群工作部"), quiet
    )
    assert decision.rule == "quiet" and kinds(decision) == ["delete"]
    assert not decision.counts_as_offence
    assert (
        engine.decide(
            message("hi"),
            GroupPolicy(),
            MemberRecord(known_nickname="张三-党群工作部", is_admin=True),
            quiet,
        )
        == []
    )


def test_service_accounts_are_never_punished() -> None:
    engine = Engine(ScriptedDetector(illegal()))
    obs = message("赌博", nickname="Channel", is_service_account=True)
    assert engine.decide(obs, GroupPolicy(), MemberRecord(blacklisted=True)) == []


def test_action_specs_parse_and_reject_nonsense() -> None:
    assert str(parse_action("mute:90m")) == "mute:1h30m"
    assert parse_action("escalate:2").tier == 2
    for bad in ("explode", "mute", "escalate:x", "warn:3"):
        with pytest.raises(ValueError):
            parse_action(bad)


def test_category_override_keeps_the_other_defaults() -> None:
    policy = GroupPolicy.model_validate(
        {"categories": {"offtopic": {"steps": [["warn"]], "severity": "low"}}}
    )
    assert kinds_of(policy.step_for("offtopic", 5)) == ["warn"]
    assert kinds_of(policy.step_for("illegal", 1))[0] == "delete"


def kinds_of(actions) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(a) for a in actions]


def test_repeated_offences_also_escalate_to_tier_two() -> None:
    engine = Engine(ScriptedDetector(harmful()))
    first = engine.decide(
        message("脏话"), GroupPolicy(), MemberRecord(known_nickname="张三-党群工作部")
    )
    third = engine.decide(
        message("脏话"),
        GroupPolicy(),
        MemberRecord(known_nickname="张三-党群工作部", offences={"harmful": 1, "abuse": 1}),
    )
    assert "escalate:2" not in kinds(first[0])
    assert kinds(third[0]).count("escalate:2") == 1
