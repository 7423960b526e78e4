"""Lexicons are data: extra directories extend or replace them, and a reload picks changes up."""

from __future__ import annotations

import json
from pathlib import Path

from rules.detection import Detector, format_hits, hits_to_json
from rules.detection.lexicon import BUILTIN_DIR


def write(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")


def test_every_category_has_builtin_lexicons_and_allow_lists():
    for category in ("illegal", "harmful", "secret", "internal", "privacy", "abuse",
                     "unverified", "offtopic"):  # fmt: skip
        assert list((BUILTIN_DIR / category).glob("*.txt")), category
    assert list((BUILTIN_DIR / "allow").glob("*.txt"))
    assert (BUILTIN_DIR / "README.md").is_file()


def test_builtin_lexicons_load_without_warnings(detector: Detector):
    assert detector.warnings == ()
    assert detector.term_count > 1000


def test_reload_picks_up_a_new_lexicon_file_from_an_extra_dir(tmp_path: Path):
    before = Detector.load([tmp_path])
    assert before.detect("本单位禁用词甲乙丙") == []
    write(
        tmp_path / "offtopic" / "local.txt",
        "@article R2 Art.13(6)\n@reason 本单位自定义\n禁用词甲乙丙 # comment\n",
    )
    after = Detector.load([tmp_path])
    hits = after.detect("本单位禁用词甲乙丙")
    assert [(h.category, h.kind, h.reason, h.article) for h in hits] == [
        ("offtopic", "local", "本单位自定义", "R2 Art.13(6)")
    ]
    assert before.detect("本单位禁用词甲乙丙") == []  # the old detector is unchanged


def test_same_relative_path_replaces_a_builtin_file(tmp_path: Path):
    write(tmp_path / "offtopic" / "red_packet.txt", "@reason 替换\n专属红包词\n")
    # The lexicons alone: the work-chat model judges phrasing, not files, and is not replaced.
    detector = Detector.load([tmp_path], workchat=None)
    assert detector.detect("抢红包啦") == []
    assert [h.reason for h in detector.detect("专属红包词")] == ["替换"]


def test_removal_lines_and_pinyin_flag(tmp_path: Path):
    write(tmp_path / "abuse" / "extra.txt", "@kind insult\n-傻逼\n蠢材 @py\n")
    detector = Detector.load([tmp_path])
    assert detector.detect("傻逼") == []
    assert detector.detect("chun材") and detector.detect("蠢cai")


def test_without_builtin_only_extra_dirs_count(tmp_path: Path):
    write(tmp_path / "illegal" / "only.txt", "只此一词\n")
    detector = Detector.load([tmp_path], include_builtin=False)
    assert detector.detect("网络赌博") == []
    assert detector.detect("只此一词")[0].kind == "only"


def test_disabled_categories_are_not_reported():
    detector = Detector.load(disabled_categories=["abuse", "privacy"])
    assert detector.detect("你个傻逼，电话13812345678") == []
    assert detector.detect("网络赌博")


def test_too_short_terms_are_refused_with_a_warning(tmp_path: Path):
    # "骂" alone would flag every message that reports a scolding. (A one-character trigger is
    # allowed only to a check that reads whole short messages: checks.toml bare_insult.)
    write(tmp_path / "abuse" / "short.txt", "骂\n哈哈\n")
    detector = Detector.load([tmp_path])
    assert any("too short" in w and "'骂'" in w for w in detector.warnings)
    assert detector.detect("他被骂了") == []


def test_checks_toml_in_an_extra_dir_extends_word_lists(tmp_path: Path):
    write(tmp_path / "checks.toml", '[heuristic.hearsay]\nalarming = ["放假"]\n')
    detector = Detector.load([tmp_path])
    assert {h.kind for h in detector.detect("听说下周放假")} == {"hearsay"}


def test_json_and_text_reports(detector: Detector):
    text = "你个傻逼"
    hits = detector.detect(text)
    data = hits_to_json(text, hits)
    assert data == {
        "text": text,
        "categories": ["abuse"],
        "hits": [
            {
                "category": "abuse",
                "kind": "insult",
                "article": hits[0].article,
                "match": "傻逼",
                "start": 2,
                "end": 4,
                "reason": hits[0].reason,
            }
        ],
    }
    json.dumps(data, ensure_ascii=False)
    assert hits_to_json("收到", []) == {"text": "收到", "categories": [], "hits": []}
    rendered = format_hits(text, hits)
    assert "abuse/insult" in rendered and "[2:4]" in rendered and hits[0].reason in rendered
    assert "clean" in format_hits("收到", [])
