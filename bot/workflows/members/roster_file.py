"""Reading a roster (名册) file: CSV (UTF-8 or GB18030, as Excel writes it) or xlsx.

Columns by header, in any order: 姓名, 单位, 部门 (required); 职务, 手机, telegram, wechat, qq,
状态 (在岗 / 调离 / 离职; 在岗 when absent). A problem with the whole file — unreadable,
columns missing, the same person or account twice — is a ``RosterFileError`` and nothing is
imported; a problem with one row rejects that row, named by its number, and the rest go on.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rules.masking import mask_value
from storage.roster import ACTIVE, DEPARTED, TRANSFERRED, RosterPerson

# Header text → field. English headers are accepted for files exported by other systems.
HEADERS: dict[str, str] = {
    "姓名": "name",
    "name": "name",
    "单位": "unit",
    "unit": "unit",
    "部门": "department",
    "department": "department",
    "职务": "title",
    "title": "title",
    "手机": "phone",
    "手机号": "phone",
    "phone": "phone",
    "状态": "status",
    "status": "status",
    "telegram": "telegram",
    "wechat": "wechat",
    "微信": "wechat",
    "qq": "qq",
    "console": "console",  # the local console group chat (examples and tests)
}
REQUIRED = ("name", "unit", "department")
REQUIRED_LABELS = {"name": "姓名", "unit": "单位", "department": "部门"}
PLATFORMS = ("telegram", "wechat", "qq", "console")
STATUSES = {
    "在岗": ACTIVE,
    "调离": TRANSFERRED,
    "离职": DEPARTED,
    "active": ACTIVE,
    "transferred": TRANSFERRED,
    "departed": DEPARTED,
    "": ACTIVE,
}
# How each platform's account ids look: Telegram numbers, QQ numbers, WeChat ids (wxid_…).
_ID_SHAPES = {
    "telegram": re.compile(r"[1-9][0-9]{4,15}"),
    "qq": re.compile(r"[1-9][0-9]{4,11}"),
    "wechat": re.compile(r"[A-Za-z0-9_@.\-]{3,64}"),
    "console": re.compile(r"[A-Za-z0-9_\-]{1,64}"),
}
_MOBILE = re.compile(r"(?:\+?86)?1[3-9][0-9]{9}")
MAX_ROWS = 50_000  # far beyond any unit; a bigger file is a wrong file, not a roster


class RosterFileError(Exception):
    """The file as a whole cannot be imported: a catalogue key (``members.file_*``) and its
    values, so the one-line reason is shown in the configured language."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True, slots=True)
class Rejected:
    row: int  # the row number as the spreadsheet shows it (header = 1)
    key: str  # why, as a catalogue key (``members.row_*``)
    params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Parsed:
    people: tuple[tuple[int, RosterPerson], ...]  # (row number, person)
    rejected: tuple[Rejected, ...]


def read_roster(path: Path) -> Parsed:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return parse_rows(_csv_rows(path))
    if suffix in (".xlsx", ".xlsm"):
        return parse_rows(_xlsx_rows(path))
    raise RosterFileError("members.file_suffix", file=path.name)


def _csv_rows(path: Path) -> list[list[str]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RosterFileError("members.file_unreadable", file=path.name, why=exc.strerror) from None
    for encoding in ("utf-8-sig", "gb18030"):  # Excel on Chinese Windows saves GB18030
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterFileError("members.file_encoding", file=path.name)
    return [list(row) for row in csv.reader(io.StringIO(text))]


def _xlsx_rows(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise RosterFileError(
            "members.file_bad_xlsx", file=path.name, why=type(exc).__name__
        ) from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise RosterFileError("members.file_no_sheet", file=path.name)
        return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _cell(value: object) -> str:
    """Excel stores ids and phone numbers typed as numbers as floats: 13812345678.0."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_rows(rows: Sequence[Sequence[str]]) -> Parsed:
    header_at = next((i for i, row in enumerate(rows) if any(c.strip() for c in row)), None)
    if header_at is None:
        raise RosterFileError("members.file_empty")
    if len(rows) - header_at - 1 > MAX_ROWS:
        raise RosterFileError("members.file_too_long", limit=MAX_ROWS)
    columns: dict[str, int] = {}
    for index, title in enumerate(rows[header_at]):
        field = HEADERS.get(title.strip().lower()) or HEADERS.get(title.strip())
        if field is not None and field not in columns:
            columns[field] = index
    missing = [REQUIRED_LABELS[f] for f in REQUIRED if f not in columns]
    if missing:
        raise RosterFileError(
            "members.file_missing_columns", columns="、".join(missing), row=header_at + 1
        )
    people: list[tuple[int, RosterPerson]] = []
    rejected: list[Rejected] = []
    for offset, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not any(c.strip() for c in row):
            continue
        person = _person(row, columns)
        if isinstance(person, tuple):
            rejected.append(Rejected(offset, person[0], person[1]))
        else:
            people.append((offset, person))
    _check_duplicates(people)
    return Parsed(tuple(people), tuple(rejected))


def _person(
    row: Sequence[str], columns: dict[str, int]
) -> RosterPerson | tuple[str, dict[str, object]]:
    def get(field: str) -> str:
        index = columns.get(field)
        return row[index].strip() if index is not None and index < len(row) else ""

    name, unit = get("name"), get("unit")
    if not name:
        return "members.row_no_name", {}
    if not unit:
        return "members.row_no_unit", {}
    if len(name) > 64 or len(unit) > 128 or len(get("department")) > 128:
        return "members.row_too_long", {}
    status = STATUSES.get(get("status").lower())
    if status is None:
        return "members.row_bad_status", {"value": get("status")}
    phone = re.sub(r"[\s\-]", "", get("phone"))
    if phone and not _MOBILE.fullmatch(phone):
        return "members.row_bad_phone", {"value": mask_value("mobile", phone)}
    accounts: list[tuple[str, str]] = []
    for platform in PLATFORMS:
        for value in _split(get(platform)):
            if not _ID_SHAPES[platform].fullmatch(value):
                return "members.row_bad_account", {"platform": platform, "value": value[:20]}
            accounts.append((platform, value))
    return RosterPerson(
        name=name,
        unit=unit,
        department=get("department"),
        title=get("title") or None,
        # Only the masked form is kept: enough to tell two 张伟 apart, useless if leaked.
        phone_masked=mask_value("mobile", phone) if phone else None,
        status=status,
        accounts=tuple(sorted(set(accounts))),
    )


def _split(cell: str) -> Iterable[str]:
    """A cell may list several accounts of one platform: ``123; 456``."""
    return [v for v in re.split(r"[;,；，\s]+", cell) if v]


def _check_duplicates(people: Sequence[tuple[int, RosterPerson]]) -> None:
    seen: dict[tuple[str, str, str], int] = {}
    accounts: dict[tuple[str, str], int] = {}
    for number, person in people:
        key = (person.name, person.unit, person.department)
        if key in seen:
            raise RosterFileError(
                "members.file_duplicate_person",
                first=seen[key],
                second=number,
                name=person.name,
                unit="/".join(p for p in (person.unit, person.department) if p),
            )
        seen[key] = number
        for account in person.accounts:
            if account in accounts:
                raise RosterFileError(
                    "members.file_duplicate_account",
                    first=accounts[account],
                    second=number,
                    platform=account[0],
                    value=account[1],
                )
            accounts[account] = number
