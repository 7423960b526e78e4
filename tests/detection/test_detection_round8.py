"""Round 8: fewer false alarms on ordinary work talk, by kinds of context — each kind with the
violation beside it that must still be caught (docs/detection.md, "Round 8")."""

from __future__ import annotations

import pytest
from detection_heldout import measure, records

from rules.detection import CATEGORIES, Detector


@pytest.fixture(scope="module")
def rules_only() -> Detector:
    return Detector.load(model=None, workchat=None)


def acted(detector: Detector, text: str) -> set[tuple[str, str]]:
    return {(h.category, h.kind) for h in detector.detect(text) if not h.needs_review}


# (ordinary work message that names the subject innocently, violation that must still be caught,
#  the violation's (category, kind))
_KINDS = {
    # The sender's own work number is no one's private data (the config decides, on by default).
    "own work number in a self-introduction": (
        "大家好，我是新来的网格员小周，负责8-12栋，工作电话18574920316",
        "王主任的工作电话 13812345678，有事找他",
        ("privacy", "mobile"),
    ),
    "own number, someone else's in between": (
        "我的工作号 18673320418，物业问题直接打这个",
        "我是王阿姨的女儿，她电话13812345678",
        ("privacy", "mobile"),
    ),
    # R2 Art.13(5): figures need a sign-off or a source; a named source is one.
    "statistics with a named source": (
        "据区应急局发布，全区转移群众312人，无人员伤亡，简报按此口径",
        "全区转移群众312人，受伤17人，我自己先估的",
        ("unverified", "statistics"),
    ),
    "statistics checked against the record": (
        "我这边统计的参会人数，跟签到表核对过了，一共57人",
        "本周共排查隐患47处，整改率85%",
        ("unverified", "statistics"),
    ),
    # R1 Art.11: hearsay that the message itself says was checked is not passed on unverified.
    "hearsay answered with the check": (
        "网上说周五停电，我刚打电话核实了，供电局官网有公告",
        "听说周五要停电，大家多备点水",
        ("unverified", "hearsay"),
    ),
    # A training course, a contest or secrecy administration names what it is about.
    "secrecy training names its subject": (
        "下周二保密教育培训，课程叫《机密文件管理规范》，全体干部参加",
        "这份机密文件我拍给你看看，别外传",
        ("secret", "marking"),
    ),
    "secrecy administration reports what it handled": (
        "涉密文件清退工作已完成，登记表给保密办了",
        "涉密文件我放网盘了，密码发群里",
        ("secret", "classified"),
    ),
    # Police, court and regulator briefings name the offence they deal with.
    "a police briefing names the offence": (
        "派出所通报：辖区查处一起聚众赌博案件，请网格员加强巡查",
        "今晚出租屋聚众赌博，带够钱来",
        ("illegal", "gambling"),
    ),
    "a game with no stakes says so": (
        "象棋扑克放老年活动室了，娱乐可以，千万别带彩",
        "今晚老地方打牌，带彩的，一百一把",
        ("illegal", "gambling"),
    ),
    "teaching people to recognise a scheme": (
        "今天市场监管所来讲“识别非法集资”，重点是保本高息、拉人头返利这几类",
        "我们这个项目拉人头返利，一人返五百，稳赚不赔",
        ("illegal", "fraud"),
    ),
    "a party game that says no money changes hands": (
        "今晚团建玩狼人杀，纯娱乐不赌钱，输了的表演节目",
        "今晚打牌赌钱，不赌钱没意思",
        ("illegal", "gambling"),
    ),
    "a rumour checked and found untrue": (
        "关于网传本街道下月停水三天：经向水务公司核实不属实",
        "网传下月停水三天，还没核实，大家先囤水",
        ("unverified", "hearsay"),
    ),
    "the duty phone of the one on duty": (
        "这周我值班，值班手机18657001234，晚上有突发情况直接打",
        "张三的手机18657001234，你们打给他催一下",
        ("privacy", "mobile"),
    ),
    "figures the section head has checked": (
        "本社区老年人接种率81.4%，数据已经主任审核",
        "本社区老年人接种率81.4%，我自己估的，先报上去",
        ("unverified", "statistics"),
    ),
    "consumer protection names what it warns about": (
        "小区门口有居民反映有人推销保健品，我已经联系市场监管所来看看",
        "我这有进口保健品，降三高特别灵，群里朋友八折",
        ("offtopic", "ads"),
    ),
    "an official selection says nobody need canvass": (
        "最美网格员是区里评的，评委打分，不用拉票",
        "帮我家孩子拉拉票，每天都能投，谢谢大家",
        ("offtopic", "vote_canvassing"),
    ),
    "a word that is said not to be a marking": (
        "那个'绝密'是剧本杀的名字😂 工会活动那个，不是文件，别紧张",
        "这份绝密文件我拍了照，先发群里大家看看",
        ("secret", "marking"),
    ),
    "a secrecy rule for the office": (
        "涉密文件要在机要室登记后阅读，不能带出，新同事注意一下",
        "涉密文件我拍下来发群里了，大家看看",
        ("secret", "classified"),
    ),
    "procurement bargains with suppliers": (
        "下周一的砍价谈判，是跟供应商谈年度采购价",
        "帮我砍一刀，拼多多链接在这",
        ("offtopic", "shopping_chain"),
    ),
    "figures from a named data source": (
        "街道今年共办理残疾人证新办、换证183件，同比增长12%，数据来自区残联办证系统",
        "街道今年共办理残疾人证183件，同比增长12%，大概是这个数",
        ("unverified", "statistics"),
    ),
    "figures not yet reviewed stay flagged whatever the sign-off words": (
        "本月完成率95%，已经科长审核，可以引用",
        "本月完成率95%，还没审核，先发群里大家看看",
        ("unverified", "statistics"),
    ),
    "one's own number in a contact list": (
        "请各位把个人的工作手机号更新到这张表里，我的是13861052247",
        "小李的是13861052247，有事找她",
        ("privacy", "mobile"),
    ),
    # Reminders of what the group is for name what does not belong in it.
    "a reminder of the group's purpose": (
        "群里不要发商业广告和投票链接，工作群只用于工作沟通，谢谢配合",
        "帮我孩子投一票，链接在这，谢谢大家",
        ("offtopic", "vote_canvassing"),
    ),
}


@pytest.mark.parametrize("kind", list(_KINDS))
def test_ordinary_talk_stays_clean_and_the_violation_is_still_caught(
    rules_only: Detector, kind: str
):
    ordinary, violation, expected = _KINDS[kind]
    assert acted(rules_only, ordinary) == set(), ordinary
    assert expected in acted(rules_only, violation), violation


def test_own_contact_switched_off_makes_every_number_privacy():
    strict = Detector.load(model=None, workchat=None, own_contact_ok=False)
    assert ("privacy", "mobile") in acted(
        strict, _KINDS["own work number in a self-introduction"][0]
    )


# -- Held-out splits, each written by a separate writer and committed before it was measured:
# heldout8 (measured before round 8 and after its first part), heldout9 (personas and dialect;
# measured with round 7 and after each part of round 8), heldout10 (ten work groups' weeks;
# measured before and after the third part: three more written splits and heldout9 trained on).
# Each was development data after its measurements. heldout10 is guarded at its figures after,
# so that a later change cannot lower them unnoticed: positives found per category by hits acted
# on, and by hits acted on or sent for review.
# Round 9: rules secret 15 → 16 (a secret computer's password is a rule of its own now), abuse
# 8 → 9 (contempt said to a colleague), harmful 8 → 11 (discrimination by disease or age,
# superstition sold, chain letters, a child's vice approved), unverified 7 → 8 (policy rumours,
# one's own arithmetic posted unchecked).
# Round 11: privacy acted on 23 → 22 (the work-chat high threshold rose to 0.995).
# Round 20: rules harmful 11 → 12, internal 6 → 8 (a non-public marking is C4 as well as C3),
# privacy 9 → 12 (an ID with a wrong check digit; health named by its treatment); its later parts
# secret 16 → 17 (the secrecy safe's code), unverified 8 → 9 (news asked whether true).
HELDOUT10_RULES = dict(zip(CATEGORIES, (6, 12, 17, 8, 12, 9, 9, 9), strict=True))
HELDOUT10_ACTED = dict(zip(CATEGORIES, (6, 17, 15, 21, 22, 14, 24, 19), strict=True))
HELDOUT10_REVIEW = dict(zip(CATEGORIES, (20, 20, 25, 22, 23, 19, 24, 21), strict=True))


@pytest.mark.parametrize(
    "name",
    [
        "heldout8",
        "heldout9",
        "heldout10",
        "heldout11",
        "heldout12",
        "heldout13",
        "heldout15",
        "heldout16",
        "heldout17",
        "heldout18",
        "heldout19",
        "heldout20",
        "heldout21",
        "heldout22",
        "heldout23",
        "heldout24",
        "heldout25",
        "heldout26",
        "heldout27",
    ],
)
def test_heldout_splits_are_written_whole(name: str):
    recs = records(name)
    assert {r["split"] for r in recs} == {name} and len(recs) == 350
    assert sum(not r["labels"] for r in recs) == 150
    # 25 per category by first label (heldout24 has three messages with a second one).
    assert all(sum(r["labels"][:1] == [c] for r in recs) == 25 for c in CATEGORIES)
    # No message written twice, but for short replies, which real chat repeats (收到, 好的).
    longer = [r["text"] for r in recs if len(r["text"]) > 4]
    assert len(set(longer)) == len(longer)


def test_heldout10_the_work_chat_model_adds_to_the_rules(detector: Detector):
    rules, _, _, flagged_rules, _ = measure(Detector.load(workchat=None), "heldout10")
    assert rules == HELDOUT10_RULES and flagged_rules == 4
    acted, review, ordinary, flagged, asked = measure(detector, "heldout10")
    assert all(acted[c] >= n for c, n in HELDOUT10_ACTED.items()), acted
    assert all(review[c] >= n for c, n in HELDOUT10_REVIEW.items()), review
    assert sum(acted.values()) >= sum(rules.values()) + 60
    # The model adds no acted-on false alarm on ordinary work talk; what it asks about is at
    # most the rules' words it doubts (round 10: all four of the rules' false alarms) and one guess.
    assert ordinary == 150 and flagged <= flagged_rules and asked <= flagged_rules + 1, (
        flagged,
        asked,
    )


def test_a_publicity_cue_silences_the_models_only_for_what_it_is_about(detector: Detector):
    # A fraud warning quotes the scam: neither model says fraud or abuse. A group-rules reminder
    # (its cues are about adverts and abuse) does not hide somebody's private details told
    # beside it: those are still the work-chat model's to flag.
    warning = "反诈宣传：警惕冒充客服的骗子，不要相信陌生来电"
    assert [h for h in detector.detect(warning) if h.source == "model"] == []
    gossip = "群规：禁止发广告。另外说一下，新来的那个女的离过两次婚，住在幸福小区3栋"
    model = [h for h in detector.detect(gossip) if h.source == "model"]
    assert [h.category for h in model] == ["privacy"] and "工作群" in model[0].reason
