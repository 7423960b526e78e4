"""A config file that is wrong says so in one line naming the key and the line, and
``config validate`` fails for everything ``run`` would crash on (issue 10 item 13, issue 14)."""

from __future__ import annotations

import string
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.config import ConfigError, Settings, load_settings, parse_settings
from bot.i18n import Catalogue


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_settings(text)
    return caught.value.problems


CATEGORY = "policy:\n  categories:\n    abuse:\n"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("timezone: Asia\n", "line 1: timezone: unknown time zone 'Asia'"),
        ("timer_poll: .inf\n", "line 1: timer_poll: inf is not a duration"),
        ("timer_poll: 0s\n", "line 1: timer_poll: timer_poll must be between"),
        ("language: zh-CN\ntimer_poll: 10d\n", "line 2: timer_poll: timer_poll must be between"),
        (
            "database:\n  retry_for: -5\n",
            "line 2: database.retry_for: a duration cannot be negative",
        ),
        (
            "policy:\n  window: 9999999999999d\n",
            "line 2: policy.window: duration '9999999999999d' is too long",
        ),
        (
            CATEGORY + "      severity: extreme\n      steps: [delete]\n",
            "line 4: policy.categories.abuse.severity: unknown severity 'extreme'",
        ),
        (
            "policy:\n  categories:\n    gossip:\n      steps: [warn]\n",
            "line 2: policy.categories: unknown category 'gossip'",
        ),
        (
            CATEGORY + "      steps: ['delete,escalate:9']\n",
            "line 4: policy.categories.abuse.steps: escalate:9 names tier 9",
        ),
        (
            CATEGORY + "      steps: ['delete,mute:10s']\n",
            "line 4: policy.categories.abuse.steps.0: mute:10s is outside 30s..366d",
        ),
        (
            "quiet_schedule:\n  - start: tomorrow\n    end: 2026-10-08T00:00\n",
            "line 2: quiet_schedule.0.start: 'tomorrow' is not a date-time",
        ),
        (
            "quiet_schedule:\n  - start: 2026-10-08T00:00\n    end: 2026-10-01T00:00\n",
            "line 3: quiet_schedule.0.end: the window ends (2026-10-01T00:00) before it starts",
        ),
        (
            "escalation:\n  tiers:\n    0: []\n",
            "line 2: escalation.tiers: tier 0 is not a tier number",
        ),
        (
            "builtin_lexicons: false\n",
            "line 1: builtin_lexicons: builtin_lexicons is false and no lexicon_dirs",
        ),
        (
            "builtin_lexicons: false\nlexicon_dirs: [/nonexistent/lexicons]\n",
            "line 2: lexicon_dirs.0: lexicon folder '/nonexistent/lexicons' does not exist",
        ),
        (
            "policy:\n  nickname:\n    pattern: '^([一-龥]+)+-.+$'\n",
            "line 3: policy.nickname.pattern: pattern nests one repetition inside another",
        ),
        (
            "policy:\n  nickname:\n    pattern: '(unclosed'\n",
            "line 3: policy.nickname.pattern: pattern is not a valid",
        ),
        (
            "quiet_schedule:\n  - start: 2026-13-45\n",
            "line 2: not valid YAML: '2026-13-45' is not a valid date",
        ),
        ("timezone: \x07\n", "line 1: not valid YAML: the control character U+0007"),
        (
            "a: " + "[" * 500 + "]" * 500 + "\n",
            "line 1: not accepted: nested more than 32 levels deep",
        ),
        ("a: &a [*a]\n", "line 1: not accepted: an alias refers to the value it is in"),
        ("- timezone: UTC\n", "line 1: the top level must be a mapping of settings"),
        ("database:\n  url: nonsense\n", "line 2: database.url: not a database URL"),
        (
            "database:\n  url: 'sqlite:///gg.db'\n",
            "line 2: database.url: 'sqlite' is not an asyncio driver",
        ),
        (
            "database:\n  url: 'mysql+nosuchdriver://u:hunter2@db/gg'\n",
            "line 2: database.url: unknown database driver 'mysql+nosuchdriver'",
        ),
    ],
)
def test_a_bad_setting_is_one_line_naming_its_line_and_key(text: str, where: str) -> None:
    assert problems(text)[0].startswith(where)


def test_a_group_override_that_escalates_to_an_unconfigured_tier_names_the_group() -> None:
    text = (
        "groups:\n  - platform: console\n    chat_id: g1\n    policy:\n      categories:\n"
        "        abuse:\n          steps: ['delete,escalate:7']\n"
    )
    assert problems(text)[0].startswith(
        "line 7: groups.0.policy.categories.abuse.steps: escalate:7 names tier 7"
    )


def test_a_configured_tier_may_be_escalated_to_and_the_standard_tiers_always_may() -> None:
    parsed = parse_settings(
        "escalation:\n  tiers:\n    9:\n      - platform: console\n        chat_id: boss\n"
        + CATEGORY
        + "      steps: ['delete,escalate:9', 'delete,escalate:2']\n"
    )
    assert parsed.policy.categories["abuse"].tiers() == {9, 2}


def test_billion_laughs_aliases_are_refused_instead_of_expanded() -> None:
    levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        prev = chr(ord("a") + i - 1)
        levels.append(f"{chr(ord('a') + i)}: &{chr(ord('a') + i)} [{', '.join(['*' + prev] * 9)}]")
    found = problems("\n".join(levels) + "\n")
    assert len(found) == 1
    assert "more than 20000 values once aliases are expanded" in found[0]


def test_a_modest_alias_is_still_allowed() -> None:
    parsed = parse_settings(
        "admins:\n  - &boss {platform: console, user_id: '1', name: 主任}\n"
        "escalation:\n  tiers:\n    1:\n      - {platform: console, chat_id: '1'}\n"
        "groups:\n  - {platform: console, chat_id: g1, admins: ['1']}\n"
        "  - {platform: console, chat_id: g2, admins: ['1']}\n"
    )
    assert [g.chat_id for g in parsed.groups] == ["g1", "g2"]


def test_a_file_that_is_not_utf8_names_the_line_of_the_bad_byte(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_bytes(b"language: zh-CN\n" + b"timezone: Asia/\xd6\xd0\xb9\xfa\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert caught.value.problems == ["line 2: not UTF-8 text (byte 0xd6); save the file as UTF-8"]


def test_unquoted_numeric_ids_are_the_ids_as_written() -> None:
    parsed = parse_settings(
        "admins:\n  - platform: console\n    user_id: 10005\n"
        "groups:\n  - platform: console\n    chat_id: -1001234567890\n    admins: [10005, 20001]\n"
        "escalation:\n  tiers:\n    1:\n      - platform: console\n        chat_id: 0123\n"
        "quiet_schedule:\n  - {start: 2026-10-01T00:00, end: 2026-10-08T00:00, chats: [111]}\n"
        "policy:\n  nickname:\n    exempt_user_ids: [42]\n"
    )
    assert parsed.admins[0].user_id == "10005"
    assert parsed.groups[0].chat_id == "-1001234567890"
    assert parsed.groups[0].admins == ("10005", "20001")
    assert parsed.escalation.tiers[1][0].chat_id == "0123"  # not octal 83
    assert parsed.quiet_schedule[0].chats == ("111",)
    assert parsed.policy.nickname.exempt_user_ids == ("42",)


def test_a_boolean_is_not_taken_for_an_id() -> None:
    assert problems("groups:\n  - platform: console\n    chat_id: yes\n")[0].startswith(
        "line 3: groups.0.chat_id:"
    )


@pytest.mark.parametrize(
    ("timezone", "start", "expected_utc"),
    [
        ("Asia/Shanghai", "2026-10-01T00:00", datetime(2026, 9, 30, 16, 0, tzinfo=UTC)),
        ("Asia/Shanghai", "2026-10-01", datetime(2026, 9, 30, 16, 0, tzinfo=UTC)),  # YAML date
        ("Europe/Berlin", "2026-10-01T00:00", datetime(2026, 9, 30, 22, 0, tzinfo=UTC)),
        ("Asia/Shanghai", "2026-10-01T00:00+00:00", datetime(2026, 10, 1, 0, 0, tzinfo=UTC)),
    ],
)
def test_a_quiet_window_without_a_zone_is_read_in_the_configured_zone(
    timezone: str, start: str, expected_utc: datetime
) -> None:
    parsed = parse_settings(
        f"timezone: {timezone}\nquiet_schedule:\n  - start: {start}\n    end: 2026-10-08T00:00\n"
    )
    assert datetime.fromisoformat(parsed.quiet_schedule[0].start) == expected_utc


def test_a_nickname_pattern_with_overlapping_alternatives_is_refused() -> None:
    # No nesting for the static check to see: the trial on adversarial names catches it.
    found = problems("policy:\n  nickname:\n    pattern: '^(a|a)*$'\n")
    assert found[0].startswith(
        "line 3: policy.nickname.pattern: pattern backtracks catastrophically"
    )


def test_a_sound_custom_nickname_pattern_is_accepted() -> None:
    pattern = r"^[\u4e00-\u9fff]{2,4}-[\u4e00-\u9fffA-Za-z0-9]+$"
    parsed = parse_settings(f"policy:\n  nickname:\n    pattern: '{pattern}'\n")
    assert parsed.policy.nickname.pattern == pattern


def test_builtin_lexicons_off_with_a_folder_of_terms_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "illegal").mkdir()
    (tmp_path / "illegal" / "gambling.txt").write_text("赌博\n", encoding="utf-8")
    parsed = parse_settings(f"builtin_lexicons: false\nlexicon_dirs: ['{tmp_path}']\n")
    assert parsed.lexicon_dirs == (tmp_path,)


def test_builtin_lexicons_off_with_an_empty_folder_detects_nothing_so_is_refused(
    tmp_path: Path,
) -> None:
    found = problems(f"builtin_lexicons: false\nlexicon_dirs: ['{tmp_path}']\n")
    assert found[0].startswith("line 2: lexicon_dirs.0: builtin_lexicons is false and no lexicon")


def test_a_database_url_problem_never_repeats_the_password() -> None:
    found = problems("database:\n  url: 'postgresql+nosuch://u:hunter2@db/gg'\n")
    assert found[0].startswith("line 2: database.url:")
    assert "hunter2" not in found[0]


def test_a_lexicon_folder_the_detector_cannot_load_names_its_entry(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "checks.toml").write_text("pii = [\n", encoding="utf-8")
    found = problems(f"lexicon_dirs:\n  - '{tmp_path}'\n  - '{broken}'\n")
    assert found[0].startswith("line 3: lexicon_dirs.1: cannot load the lexicons: TOMLDecodeError")


def test_a_missing_lexicon_folder_is_allowed_beside_the_builtin_lexicons(tmp_path: Path) -> None:
    # It may be created later and loaded on SIGHUP; the detector warns meanwhile.
    parsed = parse_settings(f"lexicon_dirs: ['{tmp_path / 'later'}']\n")
    assert parsed.builtin_lexicons and parsed.lexicon_dirs == (tmp_path / "later",)


def test_config_validate_fails_with_the_line_for_what_run_would_crash_on(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "timezone: Asia/Shanghai\nquiet_schedule:\n  - start: tomorrow\n    end: '2026-10-08'\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["config", "validate", str(config)])
    assert result.exit_code == 1
    t = Catalogue().t  # the messages speak the file's language, zh-CN by default
    where = t("config_check.line", line=3) + "quiet_schedule.0.start: 'tomorrow' "
    assert where + t("config_phrase.not_datetime") in result.output
    assert "Traceback" not in result.output


# -- property: whatever the text, the loader answers with Settings or a ConfigError ----------

_KEYS = [
    "timezone", "timer_poll", "language", "database", "url", "retry_for", "admins", "groups",
    "platform", "chat_id", "user_id", "policy", "nickname", "pattern", "window", "categories",
    "abuse", "illegal", "severity", "steps", "escalation", "tiers", "quiet_schedule", "start",
    "end", "chats", "lexicon_dirs", "builtin_lexicons", "dry_run", "telegram", "wechat",
    "console", "platforms", "repeat_to_tier2", "grace_period", "action", "1", "9",
]  # fmt: skip
_SAMPLES = [
    "10m", "0s", "-1h", "Asia", "UTC", "console", "telegram", "qq", "delete,escalate:9",
    "mute:9999999999999d", "warn", "extreme", "2026-10-01T00:00", "tomorrow", "(a+)+$",
    "/nonexistent", "sqlite+aiosqlite:///:memory:",
]  # fmt: skip
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(_SAMPLES),
    st.text(max_size=12),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(_KEYS), inner, max_size=4),
    ),
    max_leaves=25,
)
_documents = st.dictionaries(st.sampled_from(_KEYS), _values, max_size=6)


def _answers_with_settings_or_config_error(text: str) -> None:
    try:
        assert isinstance(parse_settings(text), Settings)
    except ConfigError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.startswith("line "), problem
            assert "\n" not in problem.strip(), problem


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(_documents)
def test_any_structured_config_is_settings_or_a_config_error(document: dict) -> None:
    _answers_with_settings_or_config_error(yaml.safe_dump(document, allow_unicode=True))


_yamlish = st.text(
    alphabet=st.sampled_from(
        [*string.ascii_letters[:8], *":-[]{}&*!|>'\"#%@,? \n\t0129.", "键", "\x85", "\ufeff"]
    ),
    max_size=80,
)


@settings(max_examples=500, deadline=None)
@given(st.one_of(_yamlish, st.text(max_size=80)))
def test_any_yaml_ish_text_is_settings_or_a_config_error(text: str) -> None:
    _answers_with_settings_or_config_error(text)
