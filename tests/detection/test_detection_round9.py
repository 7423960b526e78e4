"""Round 9: a word mentioned is not a word used; the sender's own number said in more ways; a
secret computer's password; the offensive-language classifier that knows work chat
(docs/detection.md, "Round 9"). Each kind beside the violation it must still catch."""

from __future__ import annotations

import pytest
from detection_heldout import assert_guarded

from rules.detection import Detector
from rules.detection.report import hits_to_json


@pytest.fixture(scope="module")
def rules_only() -> Detector:
    return Detector.load(model=None, workchat=None)


def acted(detector: Detector, text: str) -> set[str]:
    return {h.category for h in detector.detect(text) if not h.needs_review}


# -- a listed word in quotation marks, spoken about, is mentioned (allow/quoted_*.txt) ----------

_MENTIONED = [
    "“废物”两个字是投诉人的原话，我已照录进台账",
    "带“震惊”的标题一律不用，稿件请实事求是",
    "宣传栏上“毒品”两个字掉色了，明天补刷",
    "《涉密载体管理》课件放群文件了，周五前学完",
    "“红包接龙”是年会的互动环节，工会出钱",
    "自称“国家机密工程”要你集资的都是骗子，转告居民",
    "周三清理“办证”小广告，各网格带上铲刀",
]


@pytest.mark.parametrize("text", _MENTIONED)
def test_a_word_in_quotation_marks_spoken_about_is_not_a_hit(rules_only: Detector, text: str):
    assert acted(rules_only, text) == set()


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # a scare quote with nothing said about the word is still the insult
        ("你就是个“废物”，趁早滚蛋", "abuse"),
        # the marking a document bore, told with 字样: the secret itself (R1 Art.11)
        ("那个“绝密”字样的袋子我拆开看了，是关于边境部署的", "secret"),
        # the same word used, not quoted
        ("震惊！街道主任竟然这样做，点开看", "harmful"),
        # quotation marks that hold a whole sentence are no mention of one word
        ("他说“老子明天就去买毒品，谁管得着”，这是原话", "illegal"),
    ],
)
def test_a_word_used_or_quoted_at_length_is_still_a_hit(
    rules_only: Detector, text: str, category: str
):
    assert category in acted(rules_only, text)


def test_mention_cues_do_not_silence_the_classifier(detector: Detector):
    # 项目 is an everyday word: as a cue for quoted mentions it must not switch the models off.
    assert "abuse" in acted(detector, "这个项目你个废物都能搞砸，滚出去")


@pytest.mark.parametrize(
    ("name", "body", "word"),
    [
        ("typo.txt", "@mode contxt\n打击赌博\n", "contxt"),  # an unknown mode: not guessed at
        ("record.txt", "@mode quoted\n@quote_room lots\n原话\n", "quote_room"),
    ],
)
def test_a_broken_allow_file_is_reported_and_skipped(tmp_path, name: str, body: str, word: str):
    allow = tmp_path / "allow"
    allow.mkdir()
    (allow / name).write_text(body, encoding="utf-8")
    detector = Detector.load([tmp_path], model=None, workchat=None)
    assert any(name in w and word in w for w in detector.warnings)


# -- the sender's own number (R2 Art.17 protects other people's data, not one's own) ----------


@pytest.mark.parametrize(
    "text",
    [
        "大家好，我叫李娜，新调来社区办，电话139 1234 5678，请多关照",
        "我下周去党校学习，期间手机保持畅通 13912345678",
        "我的座机0571-88886666，手机13912345678，工作上有事随时联系",
        "今晚值班的是我，电话：13912345678，有急事直接打",
        "我这周值班 手机13912345678 夜里有事打",
        "新换的手机13912345678，工作上有事随时联系",
        "我的对讲机频道3，手机13912345678，今天有游客走失的联系我",
    ],
)
def test_ones_own_work_number_said_plainly_is_not_private_data(rules_only: Detector, text: str):
    assert "privacy" not in acted(rules_only, text)


@pytest.mark.parametrize(
    "text",
    [
        "我是小王，张三的电话是13912345678，你们找他",
        "他的手机13912345678，有事随时联系他",
        "我叫小李，帮我同事发一下，他电话13912345678",
    ],
)
def test_someone_elses_number_beside_a_self_introduction_is_still_private(
    rules_only: Detector, text: str
):
    assert "privacy" in acted(rules_only, text)


# -- a secret computer's password (R1 Art.11: 涉密不上网) ------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "涉密电脑的开机密码改成Ab@2025了，值班的记一下",
        "老李，你那台涉密计算机的口令是不是还是生日？发我一下",
    ],
)
def test_a_secret_computers_password_in_the_group_is_a_secret_hit(rules_only: Detector, text: str):
    assert "secret" in acted(rules_only, text)


@pytest.mark.parametrize(
    "text",
    [
        "请定期修改涉密电脑开机密码，不要告诉他人",
        "报废的涉密电脑由保密办统一回收，不要自己处理",
    ],
)
def test_password_rules_and_disposal_notices_are_clean(rules_only: Detector, text: str):
    assert acted(rules_only, text) == set()


# -- the offensive-language classifier knows ordinary work chat --------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "周三上午垃圾分类督导，请网格员到岗",
        "小区垃圾房的门锁坏了，物业明天来修",
        "厨余垃圾桶满了，联系清运公司",
        "请大家文明发言，不要骂人",
    ],
)
def test_ordinary_work_talk_with_an_insults_morpheme_is_clean(detector: Detector, text: str):
    assert acted(detector, text) == set()
    assert [h for h in detector.detect(text) if h.source == "model"] == []


@pytest.mark.parametrize("text", ["你就是个垃圾，滚出我们组", "你这种废物也配当组长？"])
def test_the_classifier_still_calls_contempt_abuse(detector: Detector, text: str):
    hits = [h for h in detector.detect(text) if h.source == "model"]
    assert hits and hits[0].category == "abuse" and not hits[0].needs_review


# -- more kinds of ordinary talk, each beside the violation it must still catch ----------------

_MORE_KINDS = {
    # a reminder pointing to the proper channel shares nothing (allow/proper_channel.txt)
    "a pointer to the proper channel": (
        "随访名单请在系统里查看，不得外传",
        "随访名单如下，不得外传：张三 李四 王五",
        "secret",
    ),
    # said of oneself (allow/self_reference.txt)
    "contempt for oneself": (
        "我这猪脑子，又把会议室订错了",
        "你这猪脑子，又把会议室订错了",
        "abuse",
    ),
    "astonishment of one's own": (
        "检查结果让我很震惊，整改要抓紧",
        "震惊！街道办主任竟然做出这种事",
        "harmful",
    ),
    # a term across a word edge (allow/plain_words.txt)
    "a term across a word edge": (
        "下学期统一教材已到，请到教务处领",
        "统一教的人又来发传单了",
        "illegal",
    ),
    # a member selling something of their own is an advert; the unit's procurement is work
    # (checks.toml [heuristic.private_sale])
    "procurement with a price": (
        "办公椅采购询价结果：每把三百二十元，下周公示",
        "我家自酿的米酒，一斤三十元，需要的找我订",
        "offtopic",
    ),
    "a unit's rental housing": (
        "公租房有房出租，月租八百，符合条件的居民到社区报名",
        "本人有房出租，两室一厅，月租3200，拎包入住",
        "offtopic",
    ),
    # contempt said of oneself vs to a colleague (abuse/insult.txt, round 9)
    "a colleague's own words about the workload": (
        "这周材料太多，我人都要累散架了",
        "什么垃圾网格员，狗都比你尽责",
        "abuse",
    ),
    # kinds heldout11 showed once measured (allow/debunking.txt, controlled_medicines.txt)
    "a rumour named to deny it": (
        "澄清一下：网传自来水要停一周没有任何依据，水务公司已发情况说明",
        "网传自来水要停一周，大家赶紧囤水，已经有人抢光了",
        "unverified",
    ),
    "a ward's controlled medicines": (
        "麻醉科今晚清点芬太尼贴剂，双人双锁，交接签字",
        "有芬太尼，不要处方，要的私聊",
        "illegal",
    ),
    "a secret recipe": (
        "这道菜是大师傅的机密配方吧，太好吃了",
        "这份文件标着机密，我拍给你们看",
        "secret",
    ),
    # kinds heldout12 showed once measured (allow/quoted_record.txt, quoted_titles.txt,
    # enforcement_context.txt, checks.toml signoff)
    "a party's words written down for the record": (
        "信访记录照录来访人原话：“再不解决我就弄死你们主任”，已上报",
        "再不解决我就弄死你们主任",
        "abuse",
    ),
    "books being catalogued": (
        "新书到了《赌徒》《罪与罚》，编目时注意分类号",
        "今晚赌博场子开了，想玩的来",
        "illegal",
    ),
    "a seizure handed on": (
        "旅检在行李里发现冰毒20克，已移交缉私局处理",
        "冰毒到货，老价格，要的私聊",
        "illegal",
    ),
    "figures a named head signed": (
        "本月统计已经科长签字：结案126件，成功率68%",
        "本月结案126件，成功率68%，还没给科长看，先发群里",
        "unverified",
    ),
    # discrimination by disease, age or disability (checks.toml discrimination_claim, round 9)
    "a disease named at work": (
        "乙肝疫苗第二针下周二打，食堂门口集合",
        "有乙肝的别跟我们一个食堂吃饭，膈应",
        "harmful",
    ),
    # superstition pressed on colleagues (checks.toml superstition_sale)
    "superstition named in a warning": (
        "提醒居民：所谓大师开光转运都是骗局，别信，别转钱",
        "我找大师开过光的转运手串，保平安保升官，群友价699",
        "harmful",
    ),
    "a forwarded notice vs a chain letter": (
        "请转发给各网格：周六停水，请提前储水",
        "今天不转发就倒霉，不转不是中国人！",
        "harmful",
    ),
    # a child's vice approved outright (checks.toml minors_tips, round 9)
    "a child kept from a vice": (
        "提醒家长：假期别让娃去网吧通宵，注意作息",
        "我家娃十岁了，喝两口白的怎么了，男孩子就得有点样",
        "harmful",
    ),
    # one's own arithmetic posted unchecked; a policy rumour (unreviewed_figures, hearsay)
    "figures added up and checked": (
        "志愿服务时长已逐条核对，共3860小时，办公室审核过了",
        "志愿服务时长我按每人每次4小时估的，一共3860小时，没逐条核对",
        "unverified",
    ),
    "a rumour answered with the official word": (
        "据说明年取消年终奖？人事科答复：不属实，以正式文件为准",
        "据说明年取消年终奖，大家早做打算",
        "unverified",
    ),
    # a report handed to the police (allow/enforcement_context.txt)
    "a case handed to the police": (
        "有人举报3栋有人开赌场，已转辖区派出所处理",
        "3栋那个赌场今晚开，想玩的私聊我",
        "illegal",
    ),
}


@pytest.mark.parametrize(
    ("ordinary", "violation", "category"), _MORE_KINDS.values(), ids=list(_MORE_KINDS)
)
def test_more_kinds_of_ordinary_talk(
    rules_only: Detector, ordinary: str, violation: str, category: str
):
    assert acted(rules_only, ordinary) == set()
    assert category in acted(rules_only, violation)


# -- held guesses: an illegal or secret guess above the high threshold ------------------------


def test_a_sure_illegal_guess_is_held_and_reported_as_such(detector: Detector):
    (hit,) = detector.detect("有冰 要的私")  # no rule knows this drug slang; the model does
    assert (hit.category, hit.source, hit.needs_review, hit.hold) == (
        "illegal",
        "model",
        True,
        True,
    )
    out = hits_to_json("有冰 要的私", [hit])
    assert out["categories"] == ["illegal"] and out["hits"][0]["hold"] is True


def test_a_guess_of_another_category_is_never_held(detector: Detector):
    hits = [h for h in detector.detect("你这种废物也配当组长？") if h.source == "model"]
    assert hits and not any(h.hold for h in hits)


# -- held-out splits, guarded at their figures after round 9 ------------------------------------
# heldout11 (measured before the round and after its main work), heldout12 (measured with round
# 8's code and with the round's), heldout13 (written last, measured once at the end) — each by a
# separate writer, committed before it was measured, development data after that. Per category:
# positives acted on (held guesses included: their message is taken down), positives acted on or
# asked about; then ordinary messages flagged and asked about. A later change may raise these,
# not lower them unnoticed. Round 10 (heldout10–12 joined the training data; heldout14 written
# before any of the round's changes, measured at the end): the rules' short words the gate doubts
# are asked about instead of acted on, so the ordinary messages asked about may rise while those
# flagged fall. Round 11 (heldout14 joined the training data; heldout15 written before the round's
# retraining, measured before and after it): the work-chat model's high threshold, chosen out of
# fold by the same rule, rose from 0.99 to 0.995, so fewer guesses are acted on and more are asked
# about — the floors were lowered to the figures after it, knowingly. Round 12 (heldout16 written
# before the round, measured before and after; two more writers for harmful and internal), over
# the seven sets: 21 violations more acted on and 7 fewer; 7 more acted on or asked about and 2
# fewer. The floors that fell (heldout10 internal, heldout11 harmful and secret, heldout13
# offtopic, heldout14 privacy acted on; heldout11 illegal asked about) were lowered to the figures
# after it, knowingly.
# Round 13 (heldout17 written before the round, measured before and after; one more writer for
# illegal slang, unverified and abuse; the out-of-fold rule moved the work-chat thresholds to
# 0.955 / 0.99): over heldout10–16, 80 violations more acted on and none fewer; 3 more acted on
# or asked about and 4 fewer. Every floor is set to the figures after the round: the acted-on
# floors rose; heldout13 unverified, heldout14 internal and heldout16 secret asked about, and
# heldout15's ordinary messages flagged (1 → 2), were set lower, knowingly. Its second half
# (heldout18 written before it; two more writers; the threshold rule's grid made finer at the top,
# which picked 0.991): over heldout10–17, 15 more acted on and 8 fewer (heldout12 illegal −3,
# heldout10 abuse −2), 7 more acted on or asked about and 1 fewer; heldout18, unseen, 150 → 148
# acted on and 168 → 169 with review. Floors set to the figures after it, the falls knowingly.
# Round 14 (heldout19 written before it; the gate's second look, a hidden layer, decides what
# the gate lets through, its thresholds chosen out of fold by the same rule at 0.915 / 0.985):
# over the six sets never trained on (heldout13, 15–19), 12 fewer acted on (heldout19 161 → 153,
# its internal 18 → 14) and 25 more acted on or asked about (heldout18 169 → 177); the sets
# trained on gained. Floors set to the figures after it, the falls knowingly.
# Round 16 (heldout20 written before it, measured with round 15's models; five more writers
# trained on twice and neither model shipped, docs/detection.md "Round 16"): heldout20 guarded at
# the shipped models' figures, the rest unchanged.
# Round 17 (heldout21 written before it; the care list; seven more writers trained on, the
# work-chat thresholds by the unchanged rule 0.935 / 0.99; COLD retrained beside it): over the
# seven sets never trained on (heldout13, 15–20) 1,101 → 1,213 acted on, 1,257 → 1,290 with
# review, ordinary flagged 14 → 12; heldout21 162 → 180 and 187 → 189, none of its ordinary
# flagged. Floors set to the figures after it; what fell, knowingly: acted on, heldout12 illegal
# and internal (25 → 24), heldout14 abuse (25 → 24), heldout17 abuse (23 → 22), heldout20
# unverified (21 → 20); with review, heldout10 harmful, heldout12 internal, heldout13 harmful and
# offtopic, heldout14 and heldout17 abuse, heldout17 internal (one or two each); asked about,
# heldout13 3 → 6, heldout15 2 → 3, heldout17 1 → 2.
# Round 19 (models retrained: six more writers, no text equal to a never-trained one, every second
# look trained three epochs): over heldout13, 15–21 acted on 1,393 → 1,397, with review 1,479 →
# 1,492, 12 flagged, asked 18 → 20; heldout23, read once, 178 / 185 / 1 / 3 (round 17's
# 178 / 184 / 1 / 3). What fell, knowingly, by one each unless said: acted on, heldout11 privacy,
# heldout13 illegal, harmful, unverified, offtopic, heldout15 illegal, abuse, offtopic, unverified
# (by two), heldout16 secret (by two), privacy, offtopic, heldout18 harmful, heldout19 abuse,
# heldout20 illegal, internal, heldout21 secret, internal, heldout22 illegal, privacy, abuse,
# unverified; with review, heldout15 and heldout20 abuse, heldout16 secret, heldout19 illegal,
# internal, privacy, heldout22 abuse.
# Round 20 (rules only, the models unchanged): heldout13, 15–21 acted on 1,397 → 1,432, with review
# 1,492 → 1,526 (second part: 1,436 / 1,529; third: 1,438 / 1,531; fourth: 1,444 / 1,536),
# flagged 12, asked 20;
# heldout22 178 → 179, heldout23 178 → 180 acted on.
_GUARDED = {
    "heldout10": ((22, 24, 25, 24, 25, 25, 24, 25), (22, 25, 25, 24, 25, 25, 24, 25), 0, 4),
    "heldout11": ((25, 25, 25, 25, 25, 25, 25, 25), (25, 25, 25, 25, 25, 25, 25, 25), 0, 3),
    "heldout12": ((25, 25, 25, 25, 25, 25, 25, 25), (25, 25, 25, 25, 25, 25, 25, 25), 0, 0),
    "heldout13": ((20, 20, 25, 22, 25, 25, 19, 22), (24, 24, 25, 23, 25, 25, 22, 23), 2, 5),
    "heldout14": ((25, 25, 25, 25, 25, 25, 26, 25), (25, 25, 25, 25, 25, 25, 26, 25), 4, 4),
    "heldout15": ((22, 23, 24, 24, 24, 24, 23, 20), (24, 25, 25, 24, 25, 25, 25, 24), 1, 3),
    "heldout16": ((21, 24, 21, 23, 23, 23, 20, 22), (24, 25, 23, 25, 25, 24, 23, 23), 1, 2),
    "heldout17": ((24, 23, 25, 21, 21, 23, 20, 21), (25, 24, 25, 22, 24, 23, 22, 23), 2, 2),
    "heldout18": ((22, 19, 25, 22, 23, 21, 22, 21), (23, 22, 25, 25, 24, 23, 22, 23), 2, 2),
    "heldout19": ((22, 25, 24, 22, 25, 23, 23, 23), (23, 25, 24, 24, 25, 24, 25, 24), 2, 2),
    "heldout20": ((22, 24, 24, 21, 25, 21, 21, 23), (23, 25, 24, 24, 25, 23, 22, 25), 2, 1),
    "heldout21": ((24, 21, 24, 20, 25, 24, 24, 22), (24, 25, 25, 24, 25, 24, 25, 24), 0, 3),
    # Round 18: heldout22 first measured with round 17's models (180 / 188 / 2 / 5; its 13 texts
    # equal to training messages inside). Round 19: heldout23 read once with round 17's models
    # (178 / 184 / 1 / 3) and once with round 19's, which judged them (docs/detection.md); every
    # row here is round 19's models' figures. Round 20: every row with round 20's rules (nothing
    # fell); heldout24 read once with round 19's rules and once with round 20's (180 / 190 / 3 / 3
    # against 181 / 191 / 3 / 3), then two of its ordinary messages' false alarms mended;
    # heldout25 read once with the first part's rules (172 / 188 / 4 / 3) and once with the
    # second part's, which it judged (173 / 188 / 4 / 3); heldout26 likewise for the third part
    # (182 / 192 / 4 / 4 both), then one rule false alarm of it mended; heldout27 likewise for the
    # fourth part (168 / 186 / 3 / 4 both).
    "heldout22": ((21, 22, 25, 24, 24, 20, 22, 21), (24, 24, 25, 24, 25, 23, 24, 23), 2, 5),
    "heldout23": ((23, 22, 22, 24, 24, 24, 22, 21), (23, 22, 25, 24, 24, 24, 23, 23), 1, 3),
    "heldout24": ((25, 23, 25, 25, 24, 23, 22, 24), (25, 24, 25, 25, 24, 25, 24, 24), 1, 3),
    "heldout25": ((24, 20, 23, 25, 23, 24, 21, 22), (25, 24, 24, 25, 25, 24, 23, 24), 2, 3),
    "heldout26": ((24, 24, 25, 22, 24, 25, 22, 22), (25, 25, 25, 24, 25, 25, 23, 24), 3, 4),
    "heldout27": ((21, 20, 22, 21, 24, 21, 17, 22), (24, 24, 22, 25, 25, 22, 22, 22), 3, 4),
}


@pytest.mark.parametrize("name", list(_GUARDED))
def test_held_out_figures_after_round_9(detector: Detector, name: str):
    assert_guarded(detector, name, _GUARDED[name])
