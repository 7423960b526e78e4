"""The 备案表 as a spreadsheet (openpyxl): the export (one row per filing, the Annex-1
columns, then the approval steps) and the blank template / submission file."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from bot.workflows.governance.form import FIELDS, LABELS
from storage.filings import FilingRow, StepRow

ANNEX_COLUMNS = ("unit", "filed_on", "category", "platform_label", "group_name")
ANNEX_COLUMNS += ("responsible", "member_scope", "purpose", "notes")


def write_export(
    path: Path,
    filings: Sequence[tuple[FilingRow, Sequence[StepRow]]],
    word: Callable[[str, str], str],
    role_name: Callable[[str], str],
    local: Callable[[datetime], str],
) -> None:
    """One row per filing: 编号, the nine Annex columns, 群组性质, 使用期限, 审批流程,
    each step (role: who, decision, when, comment), 状态, 填报人, 提交时间."""
    book = Workbook()
    sheet = book.active
    sheet.title = "网络平台交流群组备案表"
    most = max((len(f.steps) for f, _ in filings), default=0)
    header = ["编号", *(LABELS[c] for c in ANNEX_COLUMNS), "群组性质", "使用期限", "审批流程"]
    header += [f"审批第{i + 1}步" for i in range(most)]
    header += ["状态", "填报人", "提交时间", "群组ID"]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for filing, steps in filings:
        done = {s.step: s for s in steps}
        row: list[Any] = [filing.id]
        for column in ANNEX_COLUMNS:
            value = getattr(filing, column)
            if column == "category":
                value = word("category", value)
            elif isinstance(value, date):
                value = value.isoformat()
            row.append(value)
        row.append(word("class", filing.group_class))
        row.append(filing.ends_on.isoformat() if filing.ends_on else "")
        row.append(" → ".join(role_name(r) for r in filing.steps))
        for index in range(most):
            if index >= len(filing.steps):
                row.append("")
            elif index in done:
                s = done[index]
                comment = f"，意见：{s.comment}" if s.comment else ""
                decision = word("decision", s.decision)
                row.append(
                    f"{role_name(s.role)}：{s.approver} {decision}（{local(s.at)}）{comment}"
                )
            else:
                row.append(f"{role_name(filing.steps[index])}：—")
        row += [word("filing", filing.status), filing.submitter_name, local(filing.submitted_at)]
        row.append(f"{filing.platform}:{filing.chat_id}")
        sheet.append(row)
    for index, _ in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = 18
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "B2"
    book.save(path)


def write_template(path: Path) -> None:
    """A blank form to fill: the labels in column A, values in column B."""
    book = Workbook()
    sheet = book.active
    sheet.title = "备案表"
    sheet.append(["栏目", "填写内容"])
    for _, label, _ in FIELDS:
        sheet.append([label, ""])
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 48
    book.save(path)


def read_forms(path: Path) -> list[dict[str, str]]:
    """A filled template (labels in column A) is one form; a sheet with the labels as its
    header row is one form per row."""
    sheet = load_workbook(path, read_only=True, data_only=True).active
    rows = [
        [("" if c is None else str(c)).strip() for c in row]
        for row in sheet.iter_rows(values_only=True)
    ]
    rows = [r for r in rows if any(r)]
    if not rows:
        return []
    labels = set(LABELS.values())
    if rows[0] and rows[0][0] in ("栏目", *labels) and sum(r[0] in labels for r in rows) > 1:
        return [{r[0]: r[1] if len(r) > 1 else "" for r in rows if r[0] in labels}]
    header = rows[0]
    return [dict(zip(header, r, strict=False)) for r in rows[1:]]
