"""Round 20's rules, read without the models: what each finds and the ordinary talk beside it
that it must leave alone (docs/detection.md, round 20)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules.detection import Detector
from rules.masking import mask_pii

LEXICONS = Path(__file__).resolve().parents[2] / "rules" / "lexicons"


@pytest.fixture(scope="module")
def rules_only() -> Detector:
    return Detector.load(model=None, workchat=None)


def found(detector: Detector, text: str) -> set[tuple[str, str]]:
    return {(h.category, h.kind) for h in detector.detect(text) if h.acted}


# -- R1 Art.11: a non-public marking is a C3 marking and marks a non-public file (C4) -----------


def _terms(path: Path) -> list[str]:
    lines = path.read_text("utf-8").splitlines()
    return [x for x in lines if x and not x.startswith(("#", "@"))]


def test_the_non_public_markings_are_one_list_in_both_categories():
    assert _terms(LEXICONS / "secret" / "nonpublic.txt") == _terms(
        LEXICONS / "internal" / "marking.txt"
    )
    assert "内部资料" not in _terms(LEXICONS / "secret" / "marking.txt")


@pytest.mark.parametrize(
    "text", ["内部资料 不得外传 👇", "这是县里的内部资料，注明了不得外传，我觉得有用就发上来了"]
)
def test_a_file_marked_non_public_and_shared_is_secret_and_internal(rules_only, text):
    assert {("secret", "nonpublic"), ("internal", "marking")} <= found(rules_only, text)


def test_a_classification_beside_the_marking_leaves_it_secret_only(rules_only):
    assert {c for c, _ in found(rules_only, "机密，仅限内部传阅")} == {"secret"}


@pytest.mark.parametrize(
    "text",
    [
        "好的 内部资料我不外传 看完还你",  # the receiver's promise
        "随访名单请在系统里查看，不得外传",  # a pointer to the proper channel
        "内部资料室明天盘点",  # a room's name
    ],
)
def test_promises_and_pointers_with_the_marking_stay_clean(rules_only, text):
    assert found(rules_only, text) == set()


# -- R2 Art.13(3), 17: an ID number with a wrong check digit is still somebody's ID -------------


@pytest.mark.parametrize(
    "text",
    [
        "拘留的摊主马勇 341221198807165213",  # unlabelled, born 1988
        "身份证110105194912310021",  # labelled
        "新同事身份证号 430524199603087325，门禁卡帮忙办一下",
    ],
)
def test_an_id_with_a_wrong_check_digit_is_personal_data(rules_only, text):
    assert ("privacy", "id_like") in found(rules_only, text)
    assert "********" in mask_pii(text)  # shown masked like any ID


@pytest.mark.parametrize(
    "text",
    [
        "工单编号 320106202412050012",  # labelled as a thing's number
        "320106202412050012 这单今天处理",  # a region code and a recent date: a case number
        "身份证号320583198703152415这个好像不对，系统提示校验失败",  # a data-entry query
        "订单号 202311051234567890",
    ],
)
def test_numbers_shaped_like_ids_that_are_not_disclosures_stay_clean(rules_only, text):
    assert ("privacy", "id_like") not in found(rules_only, text)


def test_a_valid_id_is_still_an_id_card(rules_only):
    assert ("privacy", "id_card") in found(rules_only, "身份证11010519491231002X")


# -- R1 Art.7(10): a message that is nothing but contempt ----------------------------------------


@pytest.mark.parametrize(
    "text", ["滚", "滚！！", "废物", "你个废物！", "老巫婆，心理变态", "@赵磊 饭桶"]
)
def test_a_bare_insult_is_abuse(rules_only, text):
    assert ("abuse", "insult") in found(rules_only, text)


@pytest.mark.parametrize(
    "text",
    [
        "废物利用",
        "滚动播放",
        "滚滚长江东逝水",
        "猪队友 又掉链子",  # more than the insult: left to the other checks
        "仓库里的老东西该清一清了，周五前腾空",
        "@王姐 收到",
    ],
)
def test_the_same_words_inside_a_sentence_are_not_a_bare_insult(rules_only, text):
    assert ("abuse", "insult") not in found(rules_only, text)


# -- R2 Art.13(3): somebody's pay and health --------------------------------------------------


@pytest.mark.parametrize("text", ["老周月薪9867，表上看的", "听财务说马教授年薪税前62万"])
def test_a_colleagues_pay_is_privacy(rules_only, text):
    assert ("privacy", "salary") in found(rules_only, text)


@pytest.mark.parametrize(
    "text", ["招聘保洁员两名，月薪3500，包吃住", "全市平均月薪6000元", "我月薪三千五，够花了"]
)
def test_pay_scales_averages_and_ones_own_pay_are_not(rules_only, text):
    assert ("privacy", "salary") not in found(rules_only, text)


@pytest.mark.parametrize("text", ["老钱天天打胰岛素", "老马在吃降压药和抗焦虑的药，每天好几种"])
def test_an_illness_named_by_its_treatment_is_privacy(rules_only, text):
    assert ("privacy", "health") in found(rules_only, text)


@pytest.mark.parametrize("text", ["提醒独居老人按时吃降压药", "我最近在打胰岛素，聚餐不喝酒了"])
def test_care_reminders_and_ones_own_treatment_are_not(rules_only, text):
    assert ("privacy", "health") not in found(rules_only, text)


# -- R1 Art.9: discrimination, superstition, disasters mocked -----------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("河南来摆摊的没一个老实的", "discrimination"),
        ("搞保洁的也配在群里说话？", "discrimination"),
        ("女工就是事多，干不了重活还老请假", "discrimination"),
        ("泵站老出故障是风水问题，每人出两百请大师来做个法", "superstition"),
        ("山火烧了那么大一片，正好省得我们开荒了", "disaster_mockery"),
        ("那户跳楼的水费还欠三百多，要不去地府催收", "disaster_mockery"),
        ("还不上钱让她肉偿", "innuendo"),
    ],
)
def test_harmful_said_as_work_talk(rules_only, text, kind):
    assert ("harmful", kind) in found(rules_only, text)


@pytest.mark.parametrize(
    "text",
    [
        "女工委员会明天下午开会，请各分会主席参加",
        "搞保洁的师傅们辛苦了，食堂给大家留了饭",
        "风水林保护宣传周，请各村张贴海报",
        "山火扑灭了，大家辛苦，注意休息",
    ],
)
def test_the_same_words_in_ordinary_work_talk_stay_clean(rules_only, text):
    assert found(rules_only, text) == set()


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("你瞎啊？标签贴反了", "abuse"),
        ("修个管子修一夜，你们是吃屎长大的？", "abuse"),
        ("诚念九字真言，消灾保平安", "illegal"),
        ("CMA章能刻，当天取", "illegal"),
    ],
)
def test_new_words(rules_only, text, category):
    assert category in {c for c, _ in found(rules_only, text)}


# -- after heldout24 was read: two of its ordinary messages' false alarms -----------------------


@pytest.mark.parametrize(
    "text",
    [
        "捆苗用的大麻绳到了，一共二十卷，放在二号库",  # hemp as a material
        "提醒各位：理财产品宣传要规范，不能说“保本保息”“稳赚不赔”，这是监管红线",
    ],
)
def test_work_talk_that_names_a_listed_word_stays_clean(rules_only, text):
    assert found(rules_only, text) == set()


@pytest.mark.parametrize(
    ("text", "category"),
    [("出大麻，懂的来", "illegal"), ("新款理财产品上线，欢迎咨询，私聊我", "offtopic")],
)
def test_the_words_themselves_still_count(rules_only, text, category):
    assert category in {c for c, _ in found(rules_only, text)}


# -- everyday care: nausea is no insult (the models read these, so the shipped detector) ---------


@pytest.mark.parametrize("text", ["孕吐太厉害了，闻到油烟就恶心", "晕车了，有点恶心，先下车透透气"])
def test_feeling_sick_is_not_abuse(detector: Detector, text):
    assert [h for h in detector.detect(text) if h.category == "abuse"] == []


def test_disgust_at_a_person_is_still_abuse(detector: Detector):
    assert "abuse" in {h.category for h in detector.detect("看到你就想吐，恶心") if h.acted}


def test_a_lift_offered_is_not_held_as_illegal(detector: Detector):
    # The work-chat model guesses illegal on "我车里" (goods hidden in a car): beside an offer
    # of a seat the guess only asks the admins, and nothing is removed.
    hits = detector.detect("我车里还能坐两个，去高铁站的一起")
    assert not [h for h in hits if h.acted]


# -- kinds that recur across writers: a card's code asked for, a limb threatened, a game with no
# game named, a secrecy safe's code ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category", "kind"),
    [
        ("各位老师，我是财务处新来的，请把银行卡号和验证码发我核对", "illegal", "fraud"),
        ("系统升级，工资卡需重新验证，点这个链接输入卡号和密码", "illegal", "fraud"),
        ("再闹我晚上去她家把她腿打断", "illegal", "violence"),
        ("找几个人晚上堵他，打断腿看他还投诉不", "illegal", "violence"),
        ("下班去那个场子玩两把，今天手气好赢了三千多", "illegal", "gambling"),
        ("还是那个局，上回输了的记得把钱带够，一把两百封顶", "illegal", "gambling"),
        ("机要室电脑开机密码 jy@2023，我明天休假", "secret", "classified"),
        ("保密柜密码左3右7左2", "secret", "classified"),
    ],
)
def test_kinds_that_recur_across_writers(rules_only, text, category, kind):
    assert (category, kind) in found(rules_only, text)


@pytest.mark.parametrize(
    "text",
    [
        "提醒：任何人索要银行卡号和验证码都是诈骗，不要发",
        "工资卡号请填写在表里，不用写密码",
        "食堂把鸡腿剁了再炸",
        "他上周摔断了腿，在医院",
        "篮球场子上输了两个球，下周再战",
        "老地方吃饭，上回输了球的请客",
        "保密柜密码要定期更换，不得告诉他人",
    ],
)
def test_their_ordinary_neighbours_stay_clean(rules_only, text):
    assert found(rules_only, text) == set()


def test_a_threat_said_to_a_member_stays_one_abuse_hit(rules_only):
    assert {c for c, _ in found(rules_only, "再让我看到你，打断你的腿")} == {"abuse"}


# -- third part: a shared doom threatened, the Party's rule overthrown, 斗地主's stakes, a show's
# title and props, evening games -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("再不补发演出费，我就在剧场里点一把火，大家一起完蛋", "illegal"),
        ("谁再扣俺工资，俺就拉一车磷化铝去局里，大家一起完蛋", "illegal"),
        ("这套制度早该推翻，党的领导就是一切问题的根源", "illegal"),
        ("排练完后台斗地主来不来？一块钱一个炸，春天翻倍", "illegal"),
        ("王者今晚五排有人吗？带我上个星耀", "offtopic"),
        ("李丽那个狐狸精", "abuse"),
    ],
)
def test_third_part_finds(rules_only, text, category):
    assert category in {c for c, _ in found(rules_only, text)}


@pytest.mark.parametrize(
    "text",
    [
        "项目再拖大家一起完蛋，抓紧吧",  # a shared doom with no means
        "汽油发电机加满了，停电时用",  # a means with no doom
        "考勤制度早该推翻重来，太不合理",  # a rule of the office, not the state's
        "斗地主规则：炸弹翻倍，春天翻倍，不带钱",
        "谍战音乐剧《密电》海报初稿出来了，大家提提意见",
        "《红色娘子军》复排，枪支道具由道具组统一保管，演完当场清点收回",
    ],
)
def test_third_part_leaves_alone(rules_only, text):
    assert found(rules_only, text) == set()


def test_a_rumour_answered_by_the_one_who_knows_is_not_spread(rules_only):
    text = "关于“学校要合并”的传言，校长在全体会上已经明确说了，目前没有这个计划"
    assert found(rules_only, text) == set()
    # asking whether it is true still passes it on
    assert ("unverified", "hearsay") in found(rules_only, "传言说学校要合并了，有没有这回事")


# -- fourth part: news with a question whether it is true, a tip-off before an inspection or a bid,
# troops' movements, a scam that asks you to 配合核查 ----------------------------------------


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("微信上传疯了，说明天起货车全部禁行，真的假的？", "unverified"),
        ("好像下月开始零售户要重新考证，考不过的统统吊销？谁知道真假", "unverified"),
        ("外面传疾控在查咱们分拣中心，说有个件带了什么传染病", "unverified"),
        ("下周突击检查定在周三上午，提前跟各网点打个招呼，别说是我讲的", "internal"),
        ("评标的技术分已经打出来了，A公司最高，你跟B公司那边说一声别折腾了", "internal"),
        ("听连长说他们整个旅下个月要调防到南边去，营区都要空了", "secret"),
        ("下周三有部队车队夜里过我们站，车次编组和通过时间都在这张表里", "secret"),
        ("你们站有人账户涉嫌洗钱，马上把工资卡余额转到我发的安全账户配合核查", "illegal"),
        ("什么狼牙山五壮士，说白了就是几个走投无路跳崖的", "illegal"),
        ("再扣我绩效试试，一刀下去大家都别过了", "illegal"),
        ("一身肥膘还抢盒饭，你先减减吧猪头", "abuse"),
        ("孩子数学不好的可以送我这补，一对一，初中全科", "offtopic"),
    ],
)
def test_fourth_part_finds(rules_only, text, category):
    assert category in {c for c, _ in found(rules_only, text)}


@pytest.mark.parametrize(
    "text",
    [
        "听说食堂换厨师了，有人知道吗，饭好吃多了",  # harmless hearsay, no question of truth
        "关于停水的传言是真是假？物业已经发了正式通知，以通知为准",
        "下周区里要突击检查宿舍卫生，大家提前收拾好",  # announced by the unit itself
        "食堂今天卤猪头肉，你去晚了就没了",
        "反诈提醒：凡是让你把钱转到“安全账户”配合核查的都是骗子",
        "孩子不想上学就别逼他，好好谈谈",
    ],
)
def test_fourth_part_leaves_alone(rules_only, text):
    assert found(rules_only, text) == set()


def test_the_fails_excuse_reads_after_a_number_written_in_groups(rules_only):
    # separators make the number longer than its 18 digits: the words after it still count
    text = "身份证号 3205 8319 8703 1524 15 这个好像不对，系统提示校验失败"
    assert ("privacy", "id_like") not in found(rules_only, text)
    assert ("privacy", "id_like") in found(rules_only, "身份证号 3205 8319 8703 1524 15 帮忙登记")


# -- kin checks share one list: except_from -------------------------------------------------------


def test_the_family_threat_takes_the_whereabouts_threats_offers_of_help(tmp_path: Path):
    threat = "你女儿几点下晚自习我都知道"
    assert ("illegal", "violence") in found(Detector.load(model=None, workchat=None), threat)
    # a word an extra directory adds to whereabouts_threat's except list excuses both checks
    (tmp_path / "checks.toml").write_text(
        '[heuristic.whereabouts_threat]\nexcept = ["晚自习"]\n', encoding="utf-8"
    )
    extended = Detector.load([tmp_path], model=None, workchat=None)
    assert ("illegal", "violence") not in found(extended, threat)


def test_an_except_from_naming_no_heuristic_is_a_warning(tmp_path: Path):
    (tmp_path / "checks.toml").write_text(
        '[heuristic.family_routine_threat]\nexcept_from = "no_such_check"\n', encoding="utf-8"
    )
    detector = Detector.load([tmp_path], model=None, workchat=None)
    assert any("except_from" in w and "no_such_check" in w for w in detector.warnings)
