"""C1–C8: one representative per category and sub-kind, with its article and reason."""

from __future__ import annotations

import pytest

from rules.detection import CATEGORIES, Detector, Hit


def kinds(hits: list[Hit]) -> set[tuple[str, str]]:
    return {(h.category, h.kind) for h in hits}


def test_category_ids_are_the_interface():
    assert CATEGORIES == (
        "illegal", "harmful", "secret", "internal", "privacy", "abuse", "unverified", "offtopic",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "category", "kind"),
    [
        ("网上真人荷官在线发牌，注册送彩金", "illegal", "gambling"),
        ("同城约炮，私聊看照片", "illegal", "pornography"),
        ("有冰毒出售，同城快递", "illegal", "drugs"),
        ("秃鹰气枪低价出，全国包邮", "illegal", "weapons"),
        ("分享自制炸药配方", "illegal", "terrorism"),
        ("法轮大法好", "illegal", "cult"),
        ("支持台湾独立", "illegal", "separatism"),
        ("推翻共产党", "illegal", "subversion"),
        ("邱少云是编的，根本不可能", "illegal", "martyrs"),
        ("那些都是劣等民族", "illegal", "ethnic_hatred"),
        ("南京大屠杀是假的", "illegal", "national_honour"),
        ("兼职刷单，日赚300", "illegal", "fraud"),
        ("代开发票，点数低", "illegal", "forged_documents"),
        ("查开房记录，三小时出结果", "illegal", "personal_data_trade"),
        ("震惊！99%的人不知道", "harmful", "clickbait"),
        ("某局长出轨女下属", "harmful", "scandal"),
        ("日本又地震了，活该", "harmful", "disaster_mockery"),
        ("深夜福利，性感美女私房照", "harmful", "innuendo"),
        ("车祸现场图血肉模糊", "harmful", "gore"),
        ("乡巴佬就是没素质", "harmful", "discrimination"),
        ("卧槽，又要加班", "harmful", "vulgarity"),
        ("蓝鲸游戏挑战，完成任务就能升级", "harmful", "minors"),
        ("这份机密文件，不得外传", "secret", "marking"),
        ("这份是内部资料，不得外传", "secret", "nonpublic"),
        ("这份是内部资料，不得外传", "internal", "marking"),
        ("涉密文件照片我拍下来了", "secret", "classified"),
        ("刘书记的批示原文如下：立即整改", "internal", "instruction"),
        ("昨天党委会上定了，老张要调走", "internal", "minutes"),
        ("内部通报，请内部掌握", "internal", "documents"),
        ("明天有人组织集体上访", "internal", "political"),
        ("你个傻逼", "abuse", "insult"),
        ("操你妈的", "abuse", "curse"),
        ("信不信我打你", "abuse", "threat"),
        ("老李吃回扣，大家都知道", "abuse", "defamation"),
        ("紧急扩散！明天全市封控", "unverified", "rumour"),
        ("听说咱们街道要裁员了", "unverified", "hearsay"),
        ("本周共排查隐患47处，整改率85%", "unverified", "statistics"),
        ("帮我砍一刀，谢谢", "offtopic", "shopping_chain"),
        ("帮我家孩子投个票，每天可投", "offtopic", "vote_canvassing"),
        ("红包接龙开始了，手气最佳的接着发", "offtopic", "red_packet"),
        ("一手货源，厂家直销", "offtopic", "ads"),
        ("宝妈兼职，月入过万", "offtopic", "recruitment"),
    ],
)
def test_each_sub_kind_is_detected_with_article_and_reason(
    detector: Detector, text: str, category: str, kind: str
):
    hits = detector.detect(text)
    assert (category, kind) in kinds(hits), hits
    hit = next(h for h in hits if (h.category, h.kind) == (category, kind))
    assert hit.article.startswith(("R1 Art.", "R2 Art."))
    assert hit.reason
    assert hit.source in ("lexicon", "heuristic", "pii")
    assert text[hit.start : hit.end] == hit.match


@pytest.mark.parametrize(
    "text",
    [
        "明天上午9点在三楼会议室召开安全生产工作部署会，请各科室负责人准时参加。",
        "请各社区于本周五下班前报送入户走访台账。",
        "请大家把手机密码设置复杂一点。",
        "会议室在5号楼301室。",
        "住在3号楼的居民明天上午停水，请网格员提前通知。",
        "请各位同事查收会议纪要，有问题及时反馈。",
        "以下注意事项请大家认真阅读。",
        "本周六开展学雷锋志愿服务活动，欢迎报名。",
        "快三点了，准备开会。",
        "垃圾分类督导员排班表已更新。",
        "is this a bus stop? asbestos removal done",
    ],
)
def test_ordinary_work_messages_are_clean(detector: Detector, text: str):
    assert detector.detect(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "今天是国际禁毒日，请各社区张贴禁毒宣传海报，远离毒品。",
        "接上级通知，开展打击赌博专项行动，发现聚众赌博线索请及时举报。",
        "反诈骗宣传进社区，民警讲解刷单返利骗局。",
        "提醒大家：凡是要求转账到安全账户的都是诈骗，切勿相信。",
        "坚决反对任何形式的台独分裂活动。",
        "近期开展反邪教宣传，揭批法轮功的欺骗性和危害性。",
        "严禁在工作群内发布涉密文件，上网不涉密、涉密不上网。",
        "请勿转发扩散未经证实的消息，不信谣不传谣。",
        "禁止在群里发红包、拉票和发布广告。",
        "派出所通报：近期破获一起网络赌博案件。",
    ],
)
def test_enforcement_and_publicity_messages_are_not_flagged(detector: Detector, text: str):
    assert detector.detect(text) == []


def test_a_cue_that_is_part_of_a_hit_does_not_excuse_it(detector: Detector):
    hits = detector.detect("机密文件，严禁外传")
    assert {h.match for h in hits} >= {"机密", "严禁外传"}


def test_statistics_signed_off_by_a_leader_are_not_unverified(detector: Detector):
    text = "本周共排查隐患47处，整改率85%（已经王主任签字确认）"
    assert "unverified" not in {h.category for h in detector.detect(text)}


def test_secret_marking_with_star_and_period(detector: Detector):
    hits = detector.detect("秘密★1年 关于调整治安防控部署的通知")
    marking = [h for h in hits if h.kind == "marking"]
    assert marking and marking[0].match == "秘密★1年" and marking[0].start == 0


def test_forwarded_media_of_unknown_origin_is_a_message_level_hit(detector: Detector):
    hits = detector.detect("", forwarded=True, media_kind="video")
    assert [(h.category, h.kind, h.start, h.end, h.match) for h in hits] == [
        ("unverified", "forwarded_media", 0, 0, "")
    ]
    assert detector.detect("", forwarded=True, media_kind="video", forward_origin="人民日报") == []
    assert detector.detect("会议照片", media_kind="image") == []


def test_hearsay_needs_something_alarming_or_a_forward(detector: Detector):
    assert detector.detect("听说明天要下雨") == []
    assert {h.kind for h in detector.detect("听说明天要下雨", forwarded=True)} == {"hearsay"}


def test_latin_terms_respect_word_edges(detector: Detector):
    assert [h.match for h in detector.detect("SB领导又在瞎指挥")] == ["SB"]
    assert detector.detect("a SB") and not detector.detect("is bad")


def test_hits_are_sorted_and_deduplicated(detector: Detector):
    hits = detector.detect("网络赌博平台，赌博网站，你个傻逼")
    assert [h.start for h in hits] == sorted(h.start for h in hits)
    gambling = [h for h in hits if h.kind == "gambling"]
    # "赌博" inside "网络赌博" is not reported twice
    assert len({(h.start, h.end) for h in gambling}) == len(gambling)
    assert not any(
        a is not b and a.category == b.category and b.start >= a.start and b.end <= a.end
        for a in hits
        for b in hits
    )


def test_categories_helper_orders_canonically(detector: Detector):
    hits = detector.detect("你个傻逼，网络赌博")
    assert detector.categories(hits) == ["illegal", "abuse"]
