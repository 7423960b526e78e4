"""C5 and M7: personal data is found only when it validates, and is masked one way everywhere."""

from __future__ import annotations

import random

import pytest

from rules.detection import Detector
from rules.detection.pii import find_pii, luhn_ok, valid_id15, valid_id18, valid_mobile
from rules.masking import mask_pii, mask_value

VALID_ID = "11010519491231002X"  # GB 11643 check digit X


def test_id18_check_digit_and_birth_date():
    assert valid_id18(VALID_ID)
    assert valid_id18(VALID_ID.lower())
    assert not valid_id18("110105194912310021")  # wrong check digit
    assert not valid_id18("110105194913310025")  # month 13
    assert not valid_id18("990105194912310029")  # no such province


def test_old_15_digit_id():
    assert valid_id15("110105491231002")
    assert not valid_id15("110105491331002")


def test_mobile_prefixes():
    assert valid_mobile("13812345678") and valid_mobile("19912345678")
    assert not valid_mobile("12012345678") and not valid_mobile("1381234567")


def test_luhn():
    assert luhn_ok("6222021234567890128")
    assert not luhn_ok("6222021234567890129")


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        (f"身份证{VALID_ID}", "id_card", VALID_ID),
        ("身份证 110105 19491231 002X", "id_card", VALID_ID),
        ("手机 138-1234-5678", "mobile", "13812345678"),
        ("手机１３８１２３４５６７８", "mobile", "13812345678"),
        ("+86 139 1234 5678", "mobile", "8613912345678"),
        ("6222 0212 3456 7890 128", "bank_card", "6222021234567890128"),
        ("卡号：5000 0000 0000 0009", "bank_card", "5000000000000009"),  # context word, no range
        ("邮箱 zhang.san@example.com", "email", "zhang.san@example.com"),
        ("他家住在幸福小区3号楼2单元501", "address", "家住在幸福小区3号楼2单元501"),
    ],
)
def test_valid_personal_data_is_found(text: str, kind: str, value: str):
    found = find_pii(text)
    assert [(p.kind, p.value) for p in found] == [(kind, value)]


@pytest.mark.parametrize(
    "text",
    [
        "订单号 202311051234567890",
        "快递单号 73123456789012",
        "工单编号 13812345678",  # a mobile-shaped number labelled as an identifier
        "5000 0000 0000 0009",  # Luhn-valid but no issuer range and no context word
        "6222021234567890129",  # issuer range but Luhn fails
        "明天上午9点开会，25号交材料",
        "住在3号楼的居民明天停水",
        "会议号 123 456 789",
    ],
)
def test_numbers_that_fail_validation_are_not_personal_data(text: str):
    assert find_pii(text) == []


def test_two_numbers_written_side_by_side_stay_apart():
    found = find_pii("电话13812345678 15912345678")
    assert [p.value for p in found] == ["13812345678", "15912345678"]


def test_mask_value_formats():
    assert mask_value("id_card", VALID_ID) == "110105********002X"
    assert mask_value("id_card", "110105491231002") == "110105*****1002"
    assert mask_value("mobile", "138-1234-5678") == "138****5678"
    assert mask_value("mobile", "+86 13912345678") == "+86 139****5678"
    assert mask_value("bank_card", "6222 0212 3456 1234") == "6222********1234"
    assert mask_value("email", "zhang@example.com") == "z***@example.com"
    assert mask_value("address", "家住幸福小区3号楼2单元501") == "家住幸福小区*号楼*单元***"
    # Written with dots, middle dots or zero-width spaces: masked like the plain number.
    assert mask_value("id_card", "1101.0519.4912.3100.2X") == "110105********002X"
    assert mask_value("mobile", "1\u200b3\u200b8·1234·5678") == "138****5678"
    assert mask_value("mobile", "1.3.8.1.2.3.4.5.6.7.8") == "138****5678"


def test_mask_pii_masks_every_hit_and_leaves_the_rest():
    text = f"张三，身份证{VALID_ID}，电话138 1234 5678，邮箱zs@qq.com，订单号202311051234567890"
    masked = mask_pii(text)
    assert masked == (
        "张三，身份证110105********002X，电话138****5678，邮箱z***@qq.com，订单号202311051234567890"
    )
    assert mask_pii(masked) == masked  # idempotent: nothing left to find


def test_detector_reports_privacy_hits_with_original_spans(detector: Detector):
    text = "老王的手机号码：１３９ １２３４ ５６７８"
    hits = detector.detect(text)
    assert [(h.category, h.kind, h.source) for h in hits] == [("privacy", "mobile", "pii")]
    assert hits[0].match == "１３９ １２３４ ５６７８"


# Between digits, as people write numbers to slip past a filter: spaces of both widths, dashes
# of both widths, dots of both widths, middle dots, zero-width characters.
_SEPARATORS = (" ", "　", "-", "－", ".", "．", "·", "\u200b", "\u200c", "\ufeff", "\u2060")


def _valid_numbers(rng: random.Random) -> list[tuple[str, str]]:
    from rules.detection.pii import _ID_CHECK, _ID_WEIGHTS

    numbers = []
    for _ in range(100):
        body = rng.choice(("11", "31", "44", "51")) + "0105"
        body += f"{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        body += f"{rng.randint(0, 999):03d}"
        check = _ID_CHECK[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=False)) % 11]
        numbers.append(("身份证号：", body + check))
        digits = "".join(rng.choice("0123456789") for _ in range(8))
        numbers.append(("他的电话", rng.choice(("138", "159", "186", "199")) + digits))
        card = "6222" + "".join(rng.choice("0123456789") for _ in range(15))
        while not luhn_ok(card):
            card = card[:-1] + str((int(card[-1]) + 1) % 10)
        numbers.append(("卡号", card))
    return numbers


def _written(number: str, rng: random.Random) -> str:
    sep = rng.choice(_SEPARATORS)
    style = rng.randrange(3)
    if style == 0:  # digit by digit
        return sep.join(number)
    if style == 1:  # in groups of three or four
        groups, i = [], 0
        while i < len(number):
            k = rng.choice((3, 4))
            groups.append(number[i : i + k])
            i += k
        return sep.join(groups)
    return "".join(c + (sep if rng.random() < 0.4 else "") for c in number[:-1]) + number[-1]


def test_valid_numbers_written_with_separators_are_all_found(detector: Detector):
    # Issue 17: of 1,000 valid numbers written with dots or zero-width separators, 166 were missed.
    rng = random.Random(17)
    missed = []
    for context, number in _valid_numbers(rng):
        text = f"{context}{_written(number, rng)}，麻烦处理一下"
        hits = [h for h in detector.detect(text) if h.category == "privacy"]
        if not hits:
            missed.append(text)
    assert missed == []
