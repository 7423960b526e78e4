"""The member audit as a spreadsheet (openpyxl): one sheet listing every flagged member with
what was found, for the admins to work through and keep with their records."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.styles import Font

if TYPE_CHECKING:
    from bot.workflows.members.service import AuditReport


def audit_workbook(report: AuditReport, t: Callable[..., str]) -> bytes:
    book = Workbook()
    sheet: Any = book.active
    sheet.title = t("members.sheet_title")
    sheet.append(
        [t("members.sheet_group"), report.group, t("members.sheet_members"), report.members]
    )
    sheet.append(
        [
            t("members.col_finding"),
            t("members.col_nickname"),
            t("members.col_user"),
            t("members.col_detail"),
        ]
    )
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for key, items in (
        ("strangers", report.strangers),
        ("unnamed", report.unnamed),
        ("inactive", report.inactive),
        ("left_post", report.left_post),
    ):
        finding = t(f"members.finding_{key}")
        for item in items:
            sheet.append([finding, item.nickname, item.user_id, item.detail])
    for column, width in zip("ABCD", (16, 28, 20, 24), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
