"""The 备案表 (R2 Annex 1) as text: labelled lines from ``/filing`` or a YAML file, parsed into
a form, and a blank template to fill.

Labels may be the form's own (使用部门), English (unit), with a full- or half-width colon, in
any order, one per line or separated by ；. Values are words, not codes: 创建/变更/注销,
内部/对外, 微信/Telegram.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

# The Annex-1 fields, in the form's order, then the extras a bot needs to place the group.
FIELDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("unit", "使用部门", ("unit", "department")),
    ("filed_on", "备案日期", ("date", "filed_on")),
    ("category", "备案类别", ("category", "type")),
    ("platform_label", "平台类别", ("platform",)),
    ("group_name", "群组名称", ("name", "group", "group_name")),
    ("responsible", "群组负责人", ("responsible", "owner")),
    ("member_scope", "成员范围", ("members", "member_scope", "scope")),
    ("purpose", "建群目的", ("purpose",)),
    ("notes", "备案事项说明", ("notes", "remarks")),
    ("group_class", "群组性质", ("class", "nature")),
    ("ends_on", "使用期限", ("ends", "until", "end_date")),
    ("chat_id", "群组ID", ("chat_id", "chat")),
)
ANNEX_FIELDS = FIELDS[:9]
LABELS = {name: zh for name, zh, _ in FIELDS}
_ALIASES: dict[str, str] = {}
for _name, _zh, _en in FIELDS:
    for _label in (_zh, *_en):
        _ALIASES[_label.lower()] = _name
_ALIASES.update({"群组负责人姓名": "responsible", "备案说明": "notes", "截止日期": "ends_on"})

CATEGORIES = {
    "创建": "create",
    "新建": "create",
    "create": "create",
    "变更": "change",
    "change": "change",
    "注销": "cancel",
    "cancel": "cancel",
}
CLASSES = {"内部": "internal", "单位内部": "internal", "internal": "internal"}
CLASSES |= {"对外": "external", "外部": "external", "external": "external"}
PLATFORMS = {"微信": "wechat", "企业微信": "wechat", "wechat": "wechat", "telegram": "telegram"}
PLATFORMS |= {"电报": "telegram", "控制台": "console", "console": "console", "qq": "qq"}
# What a create needs written out; a change or cancel takes the rest from the registry.
REQUIRED = {
    "create": ("unit", "category", "group_name", "responsible", "member_scope", "purpose"),
    "change": ("category", "notes"),
    "cancel": ("category", "notes"),
}
_LINE = re.compile(r"^\s*([^:：]{1,12}?)\s*[:：]\s*(.*?)\s*$")
_DAYS = re.compile(r"^(\d{1,3})\s*(天|日|d|days?)$", re.I)


class FormError(ValueError):
    """What is wrong with a form, as a one-line answer (catalogue key and its parameters)."""

    def __init__(self, key: str, **params: str) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True, slots=True)
class FilingForm:
    category: str  # create/change/cancel
    unit: str = ""
    filed_on: date | None = None
    platform_label: str = ""
    group_name: str = ""
    responsible: str = ""
    member_scope: str = ""
    purpose: str = ""
    notes: str = ""
    group_class: str = "internal"
    ends_on: date | None = None  # set → a temporary group (R2 Art.10)
    chat_id: str = ""

    @property
    def temporary(self) -> bool:
        return self.ends_on is not None

    def completed(self, **defaults: object) -> FilingForm:
        """Fields left out (a change or cancel) taken from ``defaults`` (the registry)."""
        missing = {k: v for k, v in defaults.items() if v and not getattr(self, k)}
        return replace(self, **missing)  # type: ignore[arg-type]


def _date(value: str, today: date) -> date:
    value = value.strip()
    if match := _DAYS.match(value):
        return today + timedelta(days=int(match[1]))
    value = value.replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-")
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise FormError("governance.form_bad_date", value=value) from None


def split_fields(text: str) -> dict[str, str]:
    """Labelled lines → {field: value}; unknown labels are an error, not silently dropped."""
    values: dict[str, str] = {}
    for piece in re.split(r"[\n；;]", text):
        if not piece.strip():
            continue
        match = _LINE.match(piece)
        if match is None:
            raise FormError("governance.form_bad_line", line=piece.strip()[:40])
        label, value = match[1].strip(), match[2]
        name = _ALIASES.get(label.lower())
        if name is None:
            raise FormError("governance.form_unknown_label", label=label)
        values[name] = value
    return values


def parse_form(values: Mapping[str, object], today: date) -> FilingForm:
    """Validated form from field values (text from chat, or a YAML/XLSX mapping)."""
    text = {k: str(v).strip() for k, v in values.items() if v is not None and str(v).strip()}
    unknown = [k for k in text if k not in LABELS]
    if unknown:
        raise FormError("governance.form_unknown_label", label=unknown[0])
    raw_category = text.get("category", "创建")
    category = CATEGORIES.get(raw_category.lower())
    if category is None:
        raise FormError("governance.form_bad_category", value=raw_category)
    missing = [LABELS[f] for f in REQUIRED[category] if f != "category" and f not in text]
    if missing:
        raise FormError("governance.form_missing", fields="、".join(missing))
    group_class = "internal"
    if "group_class" in text:
        group_class = CLASSES.get(text["group_class"].lower(), "")
        if not group_class:
            raise FormError("governance.form_bad_class", value=text["group_class"])
    return FilingForm(
        category=category,
        unit=text.get("unit", ""),
        filed_on=_date(text["filed_on"], today) if "filed_on" in text else None,
        platform_label=text.get("platform_label", ""),
        group_name=text.get("group_name", ""),
        responsible=text.get("responsible", ""),
        member_scope=text.get("member_scope", ""),
        purpose=text.get("purpose", ""),
        notes=text.get("notes", ""),
        group_class=group_class,
        ends_on=_date(text["ends_on"], today) if "ends_on" in text else None,
        chat_id=text.get("chat_id", ""),
    )


def platform_of(label: str) -> str | None:
    """平台类别 in words → the adapter's name (微信 → wechat)."""
    return PLATFORMS.get(label.strip().lower()) if label else None


def template(with_chat_id: bool = False) -> str:
    """A blank form: one labelled line per field, ready to fill after ``/filing``."""
    fields = FIELDS if with_chat_id else FIELDS[:-1]
    return "\n".join(f"{zh}：" for _, zh, _ in fields)


def labelled(values: Mapping[str, object]) -> dict[str, str]:
    """A mapping keyed by the form's labels (YAML, a spreadsheet) → {field: value}."""
    out: dict[str, str] = {}
    for label, value in values.items():
        name = _ALIASES.get(str(label).strip().lower())
        if name is None:
            raise FormError("governance.form_unknown_label", label=str(label))
        if value is not None and str(value).strip():
            out[name] = str(value).strip()
    return out
