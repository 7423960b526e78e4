"""Round 5: ambiguous words only in context (mild vulgarity, person-words), allow phrases for
words that contain a term and negated acts, the new co-occurrence checks with their traps, and
the classifier's cheap upper bound and memo."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from rules.detection import Detector
from rules.detection.model import MEMO_SIZE, TextModel
from rules.detection.screen import ModelScreen

ROOT = Path(__file__).resolve().parents[2]
HELDOUT5 = Path(__file__).resolve().parent / "data" / "heldout5.jsonl"


@pytest.fixture(scope="module")
def lexicons() -> Detector:
    # The rules alone: these tests are about lexicon and heuristic patterns, not the models.
    return Detector.load(model=None, workchat=None)


def cats(detector: Detector, text: str) -> set[str]:
    return {h.category for h in detector.detect(text) if not h.needs_review}


# -- ambiguous words only in context -----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "这个方案写得真牛逼，学到了",
        "牛逼，三天就全部入户走完了",
        "特么终于把台账弄完了",
        "改了一晚上表格，蛋疼",
        "任何单位都有败类，不能一概而论",
        "他急得跟神经病一样到处找钥匙",
        "约不约羽毛球？周六上午体育馆",
        "蛋白粉是健身的人吃的",
        "他从不吸毒，体检也正常",
        "赌场最好别碰，输了就回不了头",
    ],
)
def test_friendly_or_descriptive_use_is_clean(lexicons: Detector, text: str):
    assert cats(lexicons, text) == set()


@pytest.mark.parametrize(
    "text",
    [
        "你牛逼什么，干活又不行",
        "牛逼个屁，你自己试试",
        "你特么瞎啊，表都填错了",
        "你个神经病，别在群里发疯",
        "他就是个败类",
        "他妈的，谁让你删我文件的",
    ],
)
def test_aimed_at_someone_is_abuse(lexicons: Detector, text: str):
    assert "abuse" in cats(lexicons, text)


def test_plain_vulgarity_stays_harmful(lexicons: Detector):
    assert cats(lexicons, "他妈的又要加班") == {"harmful"}


def test_rhetorical_question_is_no_separatism_claim(lexicons: Detector):
    assert "illegal" not in cats(lexicons, "西藏什么时候是独立国家了？胡说")
    assert "illegal" in cats(lexicons, "西藏本来就是独立国家")


def test_asking_about_a_slur_is_no_discrimination(lexicons: Detector):
    assert "harmful" not in cats(lexicons, "河南人偷井盖是什么梗？")
    assert "harmful" in cats(lexicons, "河南人偷井盖，大家看好自家门口")


# -- the new co-occurrence checks and their traps --------------------------------------------


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("领导班子会的纪要我拍照发你们，别外传", "internal"),
        ("人事调整结果还没公布，我先透露一下：老周去城管", "internal"),
        ("标有机密字样的那份通报我复印了几份", "secret"),
        ("涉密笔记本里的东西我拷到自己电脑上了", "secret"),
        ("5栋那个租户得了肺结核，大家离他远点", "privacy"),
        ("我邻居在派出所，说昨天抓了好几个人", "unverified"),
        ("再多嘴，小心你的狗腿", "abuse"),
        ("欧冠买球找我，盘口全，赔率高", "illegal"),
        ("有人要叶子吗，货纯量足", "illegal"),
        ("老家的核桃，二十块一斤，需要的找我", "offtopic"),
        ("招打字员，每天两小时，月入四千", "offtopic"),
        ("初中生减肥吃泻药最快", "harmful"),
        ("地震了真好，明天不用上班", "harmful"),
        ("山东的都别招，干活磨叽", "harmful"),
        ("秘密▲10年 关于人事调整的通知", "secret"),
    ],
)
def test_new_patterns_find(lexicons: Detector, text: str, category: str):
    assert category in cats(lexicons, text)


@pytest.mark.parametrize(
    "text",
    [
        "会议纪要别外传，谢谢配合",
        "考核结果还没公布，请大家耐心等待",
        "涉密文件不得拍照，不得发到群里",
        "下周三涉密人员培训，请带笔记本",
        "世界艾滋病日宣传活动明天在广场举行",
        "乙肝疫苗接种点改到二楼",
        "我朋友说明天会下雨",
        "体彩买球要理性，量力而行",
        "树叶子都黄了，秋天到了",
        "需要领表格的找我",
        "社区招聘公益岗，月入两千五，有意者来居委会",
        "台风来了，明天停课，注意安全",
        "河南的同事们中秋回家注意安全",
        "今天下午组织学习《保守国家秘密法》",
        "小心你的手机，地铁上人多",
    ],
)
def test_new_pattern_traps_are_clean(lexicons: Detector, text: str):
    assert cats(lexicons, text) == set()


# -- the classifier: cheap upper bound and memo ---------------------------------------------


def _texts() -> list[str]:
    rng = random.Random(5)
    pool = "的一是在不了有和人这中大为上个国我以要他时来你们傻逼滚垃圾废物恶心女人黑人河南"
    texts = ["".join(rng.choice(pool) for _ in range(rng.randint(1, 60))) for _ in range(3000)]
    with (ROOT / "tests" / "data" / "detection_eval.jsonl").open(encoding="utf-8") as fh:
        texts += [json.loads(line)["text"] for line in fh if line.strip()]
    return texts


def test_bound_never_skips_a_text_that_reaches_the_threshold(detector: Detector):
    model = detector.model.model
    prepared = [detector.prepare_for_model(t) for t in _texts()]
    for threshold in (0.15, 0.3, 0.5, 0.9, 0.97):  # the bias alone is ~0.13
        screen = ModelScreen(model, threshold, None)
        skipped = [t for t in prepared if not screen(t)[0]]
        assert skipped and all(model.probability(t) < threshold for t in skipped)
    # and it does skip ordinary work messages at the review threshold
    screen = ModelScreen(model, 0.9, None)
    work = ["请各社区于本周五前报送台账，明天上午9点开会", "消防演练定在周四下午，请大家准时参加"]
    assert not any(screen(detector.prepare_for_model(t))[0] for t in work)


def test_memo_is_bounded_and_gives_the_same_score():
    model = TextModel.load()
    first = model.probability("请把统计表发我邮箱")
    for i in range(MEMO_SIZE + 10):
        model.probability(f"第{i}号文件已签收")
    assert len(model._memo) <= MEMO_SIZE
    assert model.probability("请把统计表发我邮箱") == first


def test_heldout5_is_written_and_large_enough():
    recs = [json.loads(line) for line in HELDOUT5.read_text(encoding="utf-8").splitlines() if line]
    assert {r["split"] for r in recs} == {"heldout5"} and len(recs) >= 150
    assert sum(not r["labels"] for r in recs) >= 60
    for category in ("illegal", "harmful", "secret", "internal", "privacy", "abuse"):
        assert sum(category in r["labels"] for r in recs) >= 10
