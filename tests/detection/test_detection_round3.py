"""Third curation round: general fixes for real-world phrasing (co-occurrence checks, wider
quantities, more cue words, category overrides, hand-curated terms), each with traps that must
stay clean. None of these sentences is from the evaluation set."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules.detection import Detector, Hit


def cats(hits: list[Hit]) -> set[str]:
    return {h.category for h in hits}


def kinds(hits: list[Hit]) -> set[tuple[str, str]]:
    return {(h.category, h.kind) for h in hits}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a card game and a stake in one sentence
        ("周六约局打麻将，二十块一把，输赢微信结算", ("illegal", "gambling")),
        ("三缺一，玩点小钱，来的私我", ("illegal", "gambling")),
        # a forgery selling point and a document
        ("结婚证离婚证都能做，高仿可用", ("illegal", "forged_documents")),
        # a scam state, an account and a lure, words in between
        ("您的公积金账户已被停用，请添加客服微信办理恢复", ("illegal", "fraud")),
        ("尊敬的用户，您的社保账户存在异常将被冻结，请点击链接核验身份", ("illegal", "fraud")),
        # a sale of people's data
        ("倒卖一批学生家长电话，五毛一条", ("illegal", "personal_data_trade")),
        # a region and a claim that it is not China's
        ("西藏本来就不属于中国", ("illegal", "separatism")),
        # a minor, a vice and a tip
        ("教小学生怎么骗过家长去网吧通宵", ("harmful", "minors")),
        # a group and a derogatory generalisation
        ("山东人都是死脑筋，招人别要", ("harmful", "discrimination")),
        ("女司机就是马路杀手", ("harmful", "discrimination")),
        # disaster glee with a new mockery word
        ("台风把那边淹了，放挂鞭庆祝一下", ("harmful", "disaster_mockery")),
    ],
)
def test_cooccurrence_checks_find_described_content(detector: Detector, text, expected):
    hits = detector.detect(text)
    assert expected in kinds(hits), hits
    for hit in hits:
        assert text[hit.start : hit.end] == hit.match


@pytest.mark.parametrize(
    "text",
    [
        "工会掼蛋比赛周五举行，输赢都有纪念品",
        "老年活动中心的麻将桌坏了两张，请后勤修一下",
        "棋牌室里打麻将赢钱的，请及时报告派出所",
        "请核对毕业证原件，学信网可查",
        "警惕高仿证件，发现请举报",
        "老人的银行卡被冻结了，明天陪他去网点解冻",
        "旧群停用，新群请扫码加入",
        "警惕：自称客服说你账户冻结、让你点击链接的都是骗子",
        "倒卖居民信息是违法行为，发现请举报",
        "小区业主出售车位，请到物业登记信息",
        "台湾是中国领土不可分割的一部分",
        "家长要教育孩子不要抽烟喝酒",
        "严禁向未成年人出售烟酒，发现请举报",
        "我是河南人，从来不偷井盖",
        "外地人办居住证要带齐材料",
        "残疾人就业帮扶政策已经出台，请各社区宣传",
        "男的女的都可以报名志愿服务",
        "请勿在群里对台风灾情幸灾乐祸说活该",
        "今天台风走了，天气真好",
    ],
)
def test_cooccurrence_traps_stay_clean(detector: Detector, text: str):
    # Nothing is done to the member. A model may still ask the admins to review one (round 7's
    # work-chat model does for 家长要教育孩子不要抽烟喝酒 at 0.78): review is not an offence.
    assert [h for h in detector.detect(text) if not (h.source == "model" and h.needs_review)] == []


def test_gambling_report_instruction_is_clean(detector: Detector):
    # 报告 is not 举报, but "report it to the police" is enforcement all the same
    assert detector.detect("网格员注意：发现聚众赌博的立即报告派出所") == []
    assert detector.detect("谁家打麻将赌钱的，直接报警") == []


@pytest.mark.parametrize(
    "text",
    [
        "这次洪水初步统计受灾群众3000余人，倒塌房屋42间",
        "汇总一下：损毁房屋二百余间，转移群众四千多人",
        "截至目前累计排查出租屋800多户，发现隐患26起",
    ],
)
def test_approximate_quantities_and_more_units_count(detector: Detector, text: str):
    assert ("unverified", "statistics") in kinds(detector.detect(text))


@pytest.mark.parametrize(
    "text",
    [
        "我们一起统计一下明天参会的人",
        "初步统计受灾群众3000余人，倒塌房屋42间，以区应急管理局官方通报为准",
        "防汛演练：假设转移群众200人",
    ],
)
def test_quantity_traps_stay_clean(detector: Detector, text: str):
    assert "unverified" not in cats(detector.detect(text))


def test_new_hearsay_triggers(detector: Detector):
    assert "unverified" in cats(detector.detect("群里都在传下周要停水停电"))
    assert "unverified" in cats(detector.detect("不知道真假，说自来水被污染了"))
    assert detector.detect("不知道真假的事情不要往群里发") == []


def test_illegal_sale_is_not_also_an_advert(detector: Detector):
    assert cats(detector.detect("出售冰毒，需要的私聊")) == {"illegal"}
    # an advert on its own stays an advert
    assert cats(detector.detect("自家蜂蜜，需要的私聊")) == {"offtopic"}


def test_secret_overrides_internal_in_the_same_sentence_only(detector: Detector):
    assert cats(detector.detect("本材料属机密，仅限内部传阅")) == {"secret"}
    both = detector.detect("机密文件已收到。另外人事调整方案先别说出去")
    assert cats(both) == {"secret", "internal"}


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("老周就是个饭桶，啥也干不好", "abuse"),
        ("去你大爷的，少管闲事", "abuse"),
        ("那个科长是个大贪官，大家心里有数", "abuse"),
        ("你们这一帮废物", "abuse"),
        ("白眼狼，忘了谁提拔的你", "abuse"),
        ("现场视频满地是血，慎点", "harmful"),
        ("谁要弓弩，价格好说", "illegal"),
        ("有无码资源合集，要的发红包", "illegal"),
        ("这次必须赶快扩散，明天要封城了", "unverified"),
        ("集满50个赞就能领奖", "offtopic"),
    ],
)
def test_new_terms(detector: Detector, text: str, category: str):
    assert category in cats(detector.detect(text))


@pytest.mark.parametrize(
    "text",
    [
        "固体废物处理项目的招标公告",
        "这个废物箱放一楼门口",
        "他就是个小人物，别太在意",
        "你妈的身体好点了吗",
        "请学习这份警示教育材料，某贪官受贿被判刑",
        "下雨了出门小心点",
        "请大家转发寻人启事，老人走失了",
        "给王主任点个赞，活干得漂亮",
    ],
)
def test_new_term_traps_stay_clean(detector: Detector, text: str):
    # No term matches inside the longer word; a model may at most ask the admins ("小人物": the
    # work-chat model's n-gram "小人" asks about abuse, which a 误报 answer records).
    hits = detector.detect(text)
    assert [h for h in hits if not (h.source == "model" and h.needs_review)] == [], hits


def _write(directory: Path, toml: str) -> Path:
    directory.mkdir()
    (directory / "checks.toml").write_text(toml, encoding="utf-8")
    return directory


def test_cooccurrence_is_configurable_with_window_and_except(tmp_path: Path):
    ext = _write(
        tmp_path / "ext",
        """
[heuristic.demo]
check = "cooccurrence"
category = "offtopic"
kind = "demo"
article = "x"
reason = "y"
window = 4
triggers = ["苹果"]
require = ["fruit"]
fruit = ["香蕉"]
except = ["不要"]
""",
    )
    d = Detector.load([ext], include_builtin=False)
    assert d.warnings == ()
    assert [h.kind for h in d.detect("苹果和香蕉")] == ["demo"]
    assert d.detect("苹果，还有很多很多香蕉") == []  # outside the window
    assert d.detect("不要苹果和香蕉") == []  # an except word in the sentence
    assert d.detect("苹果。香蕉") == []  # another sentence


def test_bad_check_and_bad_override_warn(tmp_path: Path):
    ext = _write(
        tmp_path / "ext",
        """
[heuristic.demo]
check = "no_such_check"
category = "offtopic"
kind = "demo"
article = "x"
reason = "y"
triggers = ["苹果"]

[overrides]
nonsense = ["offtopic"]
""",
    )
    d = Detector.load([ext], include_builtin=False)
    assert any("no_such_check" in w for w in d.warnings)
    assert any("override" in w for w in d.warnings)


def test_do_not_forward_does_not_excuse_a_secret_marking(detector) -> None:  # type: ignore[no-untyped-def]
    # A leaker writes "don't forward" as often as an official notice does.
    hits = detector.detect("绝 密 材 料，不要转发")
    assert [h.category for h in hits] == ["secret"]
    assert hits[0].match == "绝 密"
