"""Round 6: the clause-wise bound of the classifier, and one test per new pattern class with the
ordinary work message that must stay clean beside it (docs/detection.md, "Round 6")."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from rules.detection import Detector
from rules.detection.model import TextModel
from rules.detection.screen import ModelScreen


@pytest.fixture(scope="module")
def lexicons() -> Detector:
    return Detector.load(model=None)


def cats(detector: Detector, text: str) -> set[str]:
    return {h.category for h in detector.detect(text) if not h.needs_review}


# -- the classifier: the bound is taken clause by clause ------------------------------------


def _comma_texts() -> list[str]:
    """Texts with clause separators everywhere a split can go wrong: at either end, doubled,
    alone, and between clauses that carry the heaviest bigrams across the separator."""
    rng = random.Random(6)
    pool = "的一是在了有人这我你们他傻逼滚垃圾废物恶心女人黑人河南，，，"
    texts = ["".join(rng.choice(pool) for _ in range(rng.randint(1, 60))) for _ in range(4000)]
    return [*texts, "，", "，，", "，你", "你，", "傻逼，滚", "，傻逼，滚，", "你妈，你妈，你妈"]


def test_clause_bound_never_skips_a_text_that_reaches_the_threshold(detector: Detector):
    model = detector.model.model
    prepared = [detector.prepare_for_model(t) for t in _comma_texts()]
    prepared += [t.replace("，", "。", 1) for t in prepared[::3]]  # either separator, or both
    for threshold in (0.05, 0.3, 0.5, 0.9, 0.97):
        screen = ModelScreen(model, threshold, None)
        for text in prepared:
            if not screen(text)[0]:
                assert model.probability(text) < threshold, (text, threshold)
    # No positive weight at all: the score is the bias's, which a low enough threshold is under.
    assert model.clause_bound("0了0").positive == 0.0 and model.probability("0了0") > 0.01
    assert ModelScreen(model, 0.01, None)("0了0")[0]


def test_clause_memo_is_bounded_and_gives_the_same_answer(monkeypatch: pytest.MonkeyPatch):
    import rules.detection.screen as screen_module

    monkeypatch.setattr(screen_module, "CLAUSE_MEMO_SIZE", 3)
    model = TextModel.load()
    texts = ["请查收会议纪要，党费请在25号前交齐", "你个傻逼，滚出去", "收到。谢谢，辛苦了"]
    reference = {t: ModelScreen(model, 0.5, None)(t) for t in texts}
    screen = ModelScreen(model, 0.5, None)
    for i in range(50):
        screen(f"第{i}号文件已签收，收到")
        assert len(screen._clause_memo) <= 3
    assert {t: screen(t) for t in texts} == reference


# -- one test per new pattern class, each with the ordinary messages that must stay clean ------
# check name: (category, a message of the class, ordinary work messages with the same trigger)
_CLASSES = {
    "bet_solicit": (
        "illegal",
        "周末球赛我这开盘，想下注的跟我，五十起投",
        ("新楼盘下周开盘，均价一万二，已通知拆迁户", "以下注意事项请各网格转达"),
    ),
    "weapon_sale": (
        "illegal",
        "有两把弓弩现货，价格好说，要的找我",
        ("收缴的管制刀具已经全部上交派出所",),
    ),
    "porn_sale": (
        "illegal",
        "出成人影片合集，打包三十元，网盘发",
        ("扫黄打非宣传：坚决抵制成人视频等有害信息",),
    ),
    "overthrow_call": (
        "illegal",
        "总有一天要把当权者拉下马，老百姓翻身",
        ("下午要变天了，外出巡查的同志带好雨具",),
    ),
    "separatism_claim": (
        "illegal",
        "西藏自古就是一个独立的国家",
        ("西藏自治区的援藏干部下周回来述职",),
    ),
    "martyrs_next_sentence": (
        "illegal",
        "黄继光堵枪眼？鬼才信这种剧本",
        ("观看黄继光纪录片。这段历史太感人了",),
    ),
    "minors_tips": (
        "harmful",
        "高中生去酒吧没关系，我带你们进去",
        ("高中生暑期社会实践活动下周开始报名",),
    ),
    "discrimination_claim": (
        "harmful",
        "这些回族人天生就不讲卫生",
        ("回族人民欢度开斋节，社区送去慰问",),
    ),
    "body_remark": (
        "harmful",
        "她屁股那么翘，就是想勾引男人",
        ("久坐屁股疼，大家每小时起来活动一下",),
    ),
    "military_info": (
        "secret",
        "军用机场的位置我拍下来了，发群里",
        ("八一建军节组织参观军事基地开放日",),
    ),
    "proceedings_leak": (
        "internal",
        "督查组的反馈意见我偷拍给你们看",
        # 偷偷 would collapse to 偷 (as in 被偷); 会上 hides in 社会上
        ("请各科室认真学习督查组的反馈意见并整改", "社会上的人都会有坑，手机差点被偷了截图报警"),
    ),
    "personal_record": (
        "privacy",
        "老孙有案底，以前坐过牢，大家防着他点",
        ("有前科的人员不得报考辅警，按规定执行",),
    ),
    "health_status": (
        "privacy",
        "小周查出乳腺癌了，正在化疗",
        ("乳腺癌筛查义诊本周六在社区卫生站",),
    ),
    "brain_defect": (
        "abuse",
        "你脑子被门夹了吧，这都能填错",
        ("我脑子坏了，把日期写错了，马上改",),
    ),
    "animal_likeness": (
        "abuse",
        "你懒得跟猪一样，一上午啥也没干",
        ("这周累得跟狗一样，终于把台账做完了",),
    ),
    "hearsay": (
        "unverified",
        "网传隔壁区的水检出了重金属，千万别喝",
        ("据区环保局通报，本周水质检测全部达标",),
    ),
    "unreviewed_figures": (
        "unverified",
        "拍脑袋定的，完成率就写95%吧",
        ("完成率95%，已经领导审核签字确认",),
    ),
    "shop_promo": (
        "offtopic",
        "我家奶茶店新开张，群友进店打九折",
        ("超市鸡蛋打八折，下班顺路买点",),
    ),
    "signup_lure": (
        "offtopic",
        "注册就送现金红包，填我的邀请码",
        ("注册系统账号请用工作邮箱",),
    ),
}


@pytest.mark.parametrize("name", sorted(_CLASSES))
def test_round6_class_fires_and_its_traps_stay_clean(lexicons: Detector, name: str):
    category, message, traps = _CLASSES[name]
    assert category in cats(lexicons, message), message
    for trap in traps:
        # The classes are rules (round 6, before any work-chat model): their traps are held to
        # the rules. The work-chat model's verdicts on ordinary talk are held to the held-out
        # splits' ordinary messages (round 9's guards) — single traps are not its measure; since
        # round 14 its second look acts on one of these (超市鸡蛋打八折…, 0.991; docs/detection.md).
        assert {h.category for h in lexicons.detect(trap) if h.source != "model"} == set(), trap


def test_a_public_handout_is_no_advert(lexicons: Detector):
    """``免费领取`` is an advert's lure, but not beside 捐赠/统一发放/困难户
    (allow/public_giveaway.txt)."""
    assert cats(lexicons, "社区统一发放的免费领取的防暑药品到了") == set()
    assert cats(lexicons, "这批口罩是捐赠的，免费领取，一人两包") == set()
    assert "offtopic" in cats(lexicons, "新店开张免费领取小礼品，扫码进群")


def test_quantity_with_lai_is_approximate():
    """``三百来人`` is an estimate like ``三百余人``; ``一来`` alone is no quantity."""
    from rules.detection.heuristics import _QUANTITY_RE

    assert _QUANTITY_RE.search("大概三百来人")
    assert _QUANTITY_RE.search("一来二去就熟了") is None


def test_link_gate_matches_what_the_case_insensitive_gate_matched():
    """The faster gate (a plain leading class) finds exactly the texts the old ``(?i)``
    alternation found, the letters (?i) folds onto ASCII (İ ı ſ K) included."""
    import re

    from rules.detection import contacts

    old = re.compile(
        rf"(?i)https?[:：]|www{contacts._DOT}|[a-z0-9]{contacts._DOT}{contacts._TLD}(?![a-z])"
    )
    rng = random.Random(61)
    alphabet = [*"abchpstwWHTPScomnet.．。:：/ 09中文KſİıAB-", "www", "http", "com", "cn"]
    for _ in range(50_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        assert (old.search(text) is None) == (contacts._GATE_RE.search(text) is None), text


# -- held-out figures: heldout5 is development data since round 6 (guarded at its figures after
# the round); heldout6 was measured once before and once after round 6's rules and is guarded at
# the figure after, so that a later change cannot lower it unnoticed. Positives found per
# category, as bench/eval_detect.py counts them (hits acted on).
DATA = Path(__file__).resolve().parent / "data"
HELDOUT5_FOUND = {
    "illegal": 13,
    "harmful": 12,
    "secret": 11,
    "internal": 11,
    "privacy": 11,
    "abuse": 11,
    "unverified": 11,
    "offtopic": 11,
}
HELDOUT6_FOUND = {
    "illegal": 10,
    "harmful": 8,
    "secret": 12,
    "internal": 6,
    "privacy": 8,
    "abuse": 9,
    "unverified": 6,
    "offtopic": 6,
}


def _found(detector: Detector, name: str) -> tuple[dict[str, int], int, int]:
    found = dict.fromkeys(HELDOUT6_FOUND, 0)
    ordinary = flagged = 0
    for line in (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        got = cats(detector, rec["text"])
        for cat in rec["labels"]:
            found[cat] += cat in got
        ordinary += not rec["labels"]
        flagged += not rec["labels"] and bool(got)
    return found, ordinary, flagged


def test_heldout5_figures_after_round6_hold(detector: Detector):
    found, ordinary, flagged = _found(detector, "heldout5")
    assert all(found[c] >= n for c, n in HELDOUT5_FOUND.items()), found
    assert flagged == 0, (flagged, ordinary)


def test_heldout6_is_written_and_its_figures_hold(detector: Detector):
    recs = [json.loads(line) for line in (DATA / "heldout6.jsonl").read_text("utf-8").splitlines()]
    assert {r["split"] for r in recs} == {"heldout6"} and len(recs) >= 200
    assert sum(not r["labels"] for r in recs) >= 80
    found, ordinary, flagged = _found(detector, "heldout6")
    assert all(found[c] >= n for c, n in HELDOUT6_FOUND.items()), found
    assert flagged <= 4, (flagged, ordinary)
