"""Personal-data validators (隐私, R2 Art.13(3), 17): ID cards, mobiles, bank cards, e-mail,
addresses.

A number is personal data only if it validates: GB 11643 check digit and a real birth date for
resident IDs (``id_like``: a real region and birth date with a wrong check digit, still somebody's
ID), a current mobile prefix, Luhn plus an issuer range (or a 卡号/账号 context word) for
bank cards. Order and tracking numbers fail these and are left alone.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

PII_KINDS: tuple[str, ...] = ("id_card", "id_like", "mobile", "bank_card", "email", "address")

# Full-width forms, ideographic space and typographic dashes fold one-to-one so spans stay put.
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FOLD.update({0x3000: 0x20, 0x2010: 0x2D, 0x2011: 0x2D, 0x2012: 0x2D, 0x2013: 0x2D, 0x2014: 0x2D})

# Between digit groups: spaces, dashes, dots and middle dots, zero-width characters (one each).
# A run of fewer than 11 digits (a date, a short landline) cannot validate: not even matched.
_SEPARATORS = " -.·•\u30fb\u200b\u200c\u200d\u2060\ufeff"
_SEP_CHARS = re.escape(_SEPARATORS)
_SEP = f"[{_SEP_CHARS}]"
# The lookahead first: a class the regex engine tests by bitmap, so the lookbehind is tried only
# where a number can start (a quarter faster over a message of Chinese text; the same matches).
_NUMBER_RE = re.compile(
    rf"(?=[+\d])(?<![0-9A-Za-z])(?:\+?86{_SEP}?)?\d(?:{_SEP}?\d){{10,18}}(?:{_SEP}?[Xx])?"
    r"(?![0-9A-Za-z])"
)
_DIGIT_RE = re.compile(r"\d")
_GROUP_SPLIT_RE = re.compile(f"{_SEP}+")
_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*"
    r"\.[A-Za-z]{2,}"
)
_STOP = r"[^\s，。！？,!?;；:：]"
_NUM = r"(?:\d+|[一二三四五六七八九十百]+)"
_PART = rf"{_NUM}(?:号楼|栋|幢|单元|号院|号|室|层|楼)"
_ADDRESS_RE = re.compile(
    rf"(?:家庭住址|家住|住在|住址|家在|现住|现居|居住在|收货地址|家的地址)[是为:：\s]*"
    rf"{_STOP}{{0,30}}?{_PART}(?:{_STOP}{{0,8}}?(?:{_PART}|\d{{3,4}}(?!\d)))+"
)

# Province-level codes of GB/T 2260 (the first two digits of a resident ID).
_PROVINCES = frozenset(
    str(code)
    for code in (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45,
                 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83, 91)
)  # fmt: skip
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_MOBILE_PREFIXES = frozenset(
    str(p)
    for p in (*range(130, 140), 145, 146, 147, 148, 149, 150, 151, 152, 153, 155, 156, 157, 158,
              159, 162, 165, 166, 167, *range(170, 179), *range(180, 194), *range(195, 200))
)  # fmt: skip
_CARD_CONTEXT = ("卡号", "账号", "帐号", "银行卡", "账户", "帐户", "储蓄卡", "信用卡", "借记卡",
                 "开户行", "转账", "汇款", "收款")  # fmt: skip
# A number labelled as one of these is an identifier of a thing, not of a person.
_NOT_PERSONAL_CONTEXT = ("单号", "编号", "流水号", "批号", "序列号", "型号", "工单", "订单",
                         "发票号", "合同号", "文号", "批次", "条码")  # fmt: skip


_SHORTEST = 11  # a mobile; IDs have 15 or 18 characters, bank cards 15 to 19


@dataclass(frozen=True, slots=True)
class PiiMatch:
    kind: str
    start: int
    end: int
    value: str  # canonical form: digits (and X), or the e-mail / address as written


# The folds that can change a result. Left out: ，！？；：（） — the patterns below treat both
# widths alike (or not at all), and nearly every Chinese message has a ，.
_FOLD_NEEDED_RE = re.compile(
    "[\uff02-\uff07\uff0a\uff0b\uff0d-\uff19\uff1c-\uff1e\uff20-\uff5e\u3000\u2010-\u2014]"
)
# Necessary conditions, on the raw text, for ``find_pii`` to find anything (see may_hold_pii).
# Every text ``may_hold_pii`` passes holds one of these characters (a regex class body): a digit
# of any script (``\d`` is what the patterns below match) or an at sign.
PII_CHARS = "\\d@＠"
# On the raw text: the separators, and what ``fold_pii`` folds into one (ideographic space,
# full-width dash and dot, typographic dashes), taken from the fold itself.
_FOLDS_TO_SEPARATOR = "".join(chr(c) for c, f in _FOLD.items() if chr(f) in _SEPARATORS)
_ELEVEN_DIGITS_RE = re.compile(f"\\d(?:[{re.escape(_SEPARATORS + _FOLDS_TO_SEPARATOR)}]?\\d){{10}}")


def fold_pii(text: str) -> str:
    """Full-width digits, letters and dashes to ASCII, keeping every offset."""
    # translate costs ~0.1 µs per character; one regex search tells whether it would change any.
    return text if _FOLD_NEEDED_RE.search(text) is None else text.translate(_FOLD)


def valid_birth_date(value: str) -> bool:
    try:
        born = dt.date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return False
    return dt.date(1900, 1, 1) <= born <= dt.date.today()


def valid_id18(value: str) -> bool:
    if len(value) != 18 or not value[:17].isdigit() or value[:2] not in _PROVINCES:
        return False
    if not valid_birth_date(value[6:14]):
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17].upper()


# Before an ID: what tells a reader the number is one, whatever its check digit.
_ID_LABELS = ("身份证", "证件号", "身份号", "公民身份")
# After it: the sender says the number does not validate — a data-entry query.
_ID_FAILS = ("校验失败", "校验不通过", "校验不过", "验证失败", "验证不通过", "好像不对", "号码不对",
             "号不对")  # fmt: skip
ID_ISSUED_AT_AGE = 16  # a resident ID is compulsory from 16 (居民身份证法 Art.2)


def id_like(value: str, text: str, start: int, end: int) -> bool:
    """An 18-character ID with a real region and birth date whose check digit is wrong: one digit
    mistyped, or the last four made up — still somebody's ID. Labelled as one (``身份证``) it
    counts whatever the birth date; unlabelled, only if the birth date is at least 16 years back.
    A case or work-order number built of a region code and a recent date (``320106 20241205
    0012``) is neither, and a number labelled as a thing's (``工单编号``) never counts."""
    if len(value) != 18 or not value[:17].isdigit() or value[:2] not in _PROVINCES:
        return False
    if not (value[17].isdigit() or value[17] == "X") or not valid_birth_date(value[6:14]):
        return False
    if _near(text, end, end, _ID_FAILS, 0, 16):
        return False  # a query about a number the system refuses ("…校验失败"), not a disclosure
    if _near(text, start, start, _ID_LABELS, 12, 0):
        return True
    today = dt.date.today()
    born = int(value[6:14])
    return born <= (today.year - ID_ISSUED_AT_AGE) * 10_000 + today.month * 100 + today.day


def valid_id15(value: str) -> bool:
    """Pre-1999 IDs: no check digit, two-digit year of the 1900s."""
    if len(value) != 15 or not value.isdigit() or value[:2] not in _PROVINCES:
        return False
    return valid_birth_date("19" + value[6:12])


def valid_mobile(value: str) -> bool:
    return len(value) == 11 and value.isdigit() and value[:3] in _MOBILE_PREFIXES


def luhn_ok(value: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(value)):
        d = int(char)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def known_card_range(value: str) -> bool:
    """Issuer ranges by length: UnionPay 62/60, Visa, Mastercard, Amex, JCB, old domestic 95."""
    n = len(value)
    if value[:2] in ("62", "60", "81") and 16 <= n <= 19:
        return True
    if value[0] == "4" and n in (16, 19):
        return True
    if n == 16 and (51 <= int(value[:2]) <= 55 or 2221 <= int(value[:4]) <= 2720):
        return True
    if n == 15 and value[:2] in ("34", "37"):
        return True
    if 3528 <= int(value[:4]) <= 3589 and 16 <= n <= 19:
        return True
    return n == 19 and value[:2] == "95"


def _near(text: str, start: int, end: int, words: tuple[str, ...], before: int, after: int) -> bool:
    window = text[max(0, start - before) : end + after]
    return any(w in window for w in words)


def _classify(digits: str, text: str, start: int, end: int) -> str | None:
    n = len(digits)
    if n == 18 and valid_id18(digits):
        return "id_card"
    if n == 15 and valid_id15(digits):
        return "id_card"
    kind = None
    if digits.isdigit():
        if (n == 11 and valid_mobile(digits)) or (
            n == 13 and digits[:2] == "86" and valid_mobile(digits[2:])
        ):
            kind = "mobile"
        elif (
            15 <= n <= 19
            and luhn_ok(digits)
            and (known_card_range(digits) or _near(text, start, end, _CARD_CONTEXT, 12, 6))
        ):
            kind = "bank_card"
    if kind is None and n == 18 and id_like(digits, text, start, end):
        kind = "id_like"
    # Only a number that validates is worth the context look-up (an order number's label).
    if kind is not None and _near(text, start, end, _NOT_PERSONAL_CONTEXT, 8, 0):
        return None
    return kind


def _numbers(folded: str) -> list[PiiMatch]:
    found: list[PiiMatch] = []
    for m in _NUMBER_RE.finditer(folded):
        raw = m.group()
        offset = m.start()
        # Groups split by spaces or dashes: two numbers written side by side must not merge.
        groups: list[tuple[str, int, int]] = []
        pos = 0
        for part in _GROUP_SPLIT_RE.split(raw):
            idx = raw.index(part, pos)
            groups.append((part.lstrip("+"), offset + idx, offset + idx + len(part)))
            pos = idx + len(part)
        # Longest run of groups first; runs too short to validate are not even joined.
        ends = [0]
        for g in groups:
            ends.append(ends[-1] + len(g[0]))
        i, n = 0, len(groups)
        while i < n:
            taken = 0
            for j in range(n, i, -1):
                if ends[j] - ends[i] < _SHORTEST:
                    break  # shorter still for every smaller j: nothing can validate
                digits = "".join(g[0] for g in groups[i:j]).upper()
                start, end = groups[i][1], groups[j - 1][2]
                kind = _classify(digits, folded, start, end)
                if kind is not None:
                    found.append(PiiMatch(kind, start, end, digits))
                    taken = j
                    break
            i = taken or i + 1
    return found


def may_hold_pii(text: str) -> bool:
    """Cheap gate before ``find_pii``: False means nothing here would be reported. An e-mail needs
    an @; a number needs eleven digits, at most one separator between each two (a mobile is the
    shortest that validates; dates and short landlines are spared, ``1 3 8 …`` written digit by
    digit is not); an address needs a digit and 住/地址/家在 (``家住…3号楼2单元``)."""
    if "@" in text or "＠" in text:
        return True
    if _DIGIT_RE.search(text) is None:
        return False
    return (
        _ELEVEN_DIGITS_RE.search(text) is not None
        or "住" in text
        or "地址" in text
        or "家在" in text
    )


def find_pii(text: str) -> list[PiiMatch]:
    """Every validated piece of personal data in ``text``, sorted by start."""
    folded = fold_pii(text)
    found: list[PiiMatch] = []
    if _DIGIT_RE.search(folded) is not None:
        found.extend(_numbers(folded))
        if "住" in folded or "地址" in folded or "家在" in folded:
            found.extend(
                PiiMatch("address", m.start(), m.end(), text[m.start() : m.end()])
                for m in _ADDRESS_RE.finditer(folded)
            )
    if "@" in folded:
        found.extend(
            PiiMatch("email", m.start(), m.end(), m.group()) for m in _EMAIL_RE.finditer(folded)
        )
    found.sort(key=lambda p: (p.start, -p.end))
    return found


# Between a first-person cue and the number: someone else's number after all (联系我同事 138…).
_THIRD_PARTY = ("同事", "朋友", "老公", "老婆", "爱人", "家人", "妈", "爸", "儿子", "女儿", "他",
                "她", "亲戚", "邻居", "领导", "客户")  # fmt: skip
# After a self-introduction, somebody's number ("我是小王，张三的电话是138…").
_SOMEONES = ("的电话", "的手机", "的号")
_OWN_KINDS = frozenset({"mobile", "email"})


def _named_other(s: str, also: tuple[str, ...] = ()) -> bool:
    return any(w in s for w in _THIRD_PARTY) or any(w in s for w in also)


def own_contact(
    text: str,
    match: PiiMatch,
    cues: tuple[str, ...],
    after_cues: tuple[str, ...] = (),
    before: int = 24,
    after: int = 12,
) -> bool:
    """The sender gives their own mobile or e-mail: a first-person or work-number cue (联系我,
    我的电话, 我是…, 工作电话 …) within ``before`` characters ahead of it, not someone's (``王主任的
    工作电话``), and nobody else named in between (联系我同事 138…); or an ``after_cues`` word
    (有事随时联系) within ``after`` characters behind it, with nobody named around the number."""
    if match.kind not in _OWN_KINDS:
        return False
    window = text[max(0, match.start - before) : match.start]
    for cue in cues:
        i = window.rfind(cue)
        if i < 0 or (i > 0 and window[i - 1] == "的"):
            continue
        if not _named_other(window[i + len(cue) :], _SOMEONES):
            return True
    if _named_other(text[max(0, match.start - after) : match.start]):
        return False  # "他的手机138…，有事随时联系他"
    behind = text[match.end : match.end + after]
    return any((i := behind.find(cue)) >= 0 and not _named_other(behind[:i]) for cue in after_cues)
