"""A supervision report as a workbook (native Excel charts, xlsxwriter), an HTML page (inline
SVG charts: text stays text, so Chinese labels are drawn by the reader's own fonts and print
sharply), or CSV (one tidy table, UTF-8 with a byte-order mark so Excel reads the Chinese)."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Callable, Sequence
from datetime import datetime

import xlsxwriter

from bot.i18n import Catalogue
from bot.supervision.report import Counts, ReportData

FORMATS = ("xlsx", "html", "csv")
# CJK-capable families first (Noto/Source Han on Linux, YaHei on Windows, PingFang on macOS).
FONT_STACK = (
    "'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC',"
    "'WenQuanYi Micro Hei',sans-serif"
)


class Labels:
    """Every text of a report, from the catalogue."""

    def __init__(self, catalogue: Catalogue, data: ReportData) -> None:
        self.t = catalogue.t
        self.data = data

    def s(self, key: str, **params: object) -> str:
        return self.t(f"supervision.{key}", **params)

    def category(self, name: str) -> str:
        return self.t(f"category.{name}") if name else "-"

    def kind(self, name: str) -> str:
        label = self.t(f"action.{name}")
        return name if label == f"action.{name}" else label

    def stage(self, name: str) -> str:
        return self.t(f"incident.stage_{name}")

    def title(self) -> str:
        return self.s("report_title", period=self.data.period.label)

    def scope(self) -> str:
        return self.s("report_scope", scope=self.data.scope or self.s("report_scope_all"))

    def head(self) -> str:
        return self.s("report_head", seq=self.data.head.seq, hash=self.data.head.hash)

    def generated(self, zone: object) -> str:
        return self.s("report_generated", at=_local(self.data.generated_at, zone))

    def cols(self, *names: str) -> list[str]:
        return [self.s(f"col_{n}") for n in names]

    def count_columns(self) -> list[str]:
        return [self.s(f"col_{f}") for f in Counts.FIELDS]


def _local(moment: datetime, zone: object) -> str:
    local = moment.astimezone(zone)  # type: ignore[arg-type]
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}".strip()


def summary_rows(labels: Labels) -> list[tuple[str, object]]:
    data = labels.data
    rows: list[tuple[str, object]] = [
        (labels.s(f"col_{f}"), getattr(data.totals, f)) for f in Counts.FIELDS
    ]
    median = data.median_response_minutes
    rows.append((labels.s("col_median_response"), "-" if median is None else median))
    return rows


def summary_message(catalogue: Catalogue, data: ReportData) -> str:
    """The key figures as one chat message (the file follows where the platform allows)."""
    labels = Labels(catalogue, data)
    totals = data.totals
    return labels.s(
        "summary_message",
        title=labels.title(),
        scope=labels.scope(),
        detections=totals.detections,
        actions=totals.actions,
        escalations=totals.escalations,
        answered=totals.answered,
        refusals=totals.refusals,
        false_positives=totals.false_positives,
        incidents=totals.incidents,
        major=totals.major,
        seq=data.head.seq,
        hash=data.head.hash,  # whole: whoever keeps the message can check the chain with it
    )


def render(data: ReportData, fmt: str, catalogue: Catalogue, zone: object) -> bytes:
    renderers: dict[str, Callable[[Labels, object], bytes]] = {
        "xlsx": render_xlsx,
        "html": render_html,
        "csv": render_csv,
    }
    if fmt not in renderers:
        raise ValueError(f"unknown report format {fmt!r}; one of {', '.join(FORMATS)}")
    return renderers[fmt](Labels(catalogue, data), zone)


# ------------------------------------------------------------------ workbook
def render_xlsx(labels: Labels, zone: object) -> bytes:
    data, s = labels.data, labels.s
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    title = book.add_format({"bold": True, "font_size": 14})
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})

    def table(sheet, row: int, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> int:  # type: ignore[no-untyped-def]
        sheet.write_row(row, 0, columns, header)
        for i, values in enumerate(rows, start=1):
            sheet.write_row(row + i, 0, list(values))
        sheet.set_column(0, max(len(columns) - 1, 0), 16)
        return row + len(rows)  # the last data row

    summary = book.add_worksheet(s("sheet_summary"))
    summary.write(0, 0, labels.title(), title)
    for i, line in enumerate(
        (labels.scope(), labels.generated(zone), labels.head(), s("report_masked")), start=1
    ):
        summary.write(i, 0, line)
    table(summary, 6, [s("col_figure"), s("col_value")], summary_rows(labels))
    summary.set_column(0, 0, 28)

    units = book.add_worksheet(s("sheet_units"))
    unit_rows = [[name, *c.as_row()] for name, c in data.units.items()]
    last = table(units, 0, [s("col_unit"), *labels.count_columns()], unit_rows)
    if unit_rows:
        chart = book.add_chart({"type": "bar"})
        for col, key in ((1, "col_detections"), (2, "col_actions")):
            chart.add_series(
                {
                    "name": s(key),
                    "categories": [units.name, 1, 0, last, 0],
                    "values": [units.name, 1, col, last, col],
                }
            )
        chart.set_title({"name": s("chart_units")})
        units.insert_chart(last + 2, 0, chart, {"x_scale": 1.4, "y_scale": 1.2})

    groups = book.add_worksheet(s("sheet_groups"))
    table(
        groups,
        0,
        [s("col_unit"), s("col_group"), s("col_filing"), *labels.count_columns()],
        [
            [
                g.unit,
                g.group,
                s("filing_registered" if g.registered else "filing_unregistered"),
                *g.counts.as_row(),
            ]
            for g in data.groups
        ],
    )

    categories = book.add_worksheet(s("sheet_categories"))
    category_rows = [[labels.category(k), *v] for k, v in sorted(data.categories.items())]
    last = table(
        categories, 0, [s("col_category"), s("col_detections"), s("col_actions")], category_rows
    )
    if category_rows:
        pie = book.add_chart({"type": "pie"})
        pie.add_series(
            {
                "name": s("chart_categories"),
                "categories": [categories.name, 1, 0, last, 0],
                "values": [categories.name, 1, 1, last, 1],
                "data_labels": {"percentage": True},
            }
        )
        pie.set_title({"name": s("chart_categories")})
        categories.insert_chart(last + 2, 0, pie)
    kinds_at = last + 20
    table(
        categories,
        kinds_at,
        [s("col_kind"), s("col_count")],
        [[labels.kind(k), n] for k, n in data.kinds.most_common()],
    )

    weeks = book.add_worksheet(s("sheet_weeks"))
    week_rows = [[k, *v] for k, v in data.weeks.items()]
    last = table(weeks, 0, [s("col_week"), s("col_detections"), s("col_actions")], week_rows)
    if week_rows:
        line = book.add_chart({"type": "line"})
        for col, key in ((1, "col_detections"), (2, "col_actions")):
            line.add_series(
                {
                    "name": s(key),
                    "categories": [weeks.name, 1, 0, last, 0],
                    "values": [weeks.name, 1, col, last, col],
                    "marker": {"type": "circle"},
                }
            )
        line.set_title({"name": s("chart_weeks")})
        weeks.insert_chart(last + 2, 0, line, {"x_scale": 1.5})

    escalations = book.add_worksheet(s("sheet_escalations"))
    table(escalations, 0, *escalation_table(labels, zone))
    incidents = book.add_worksheet(s("sheet_incidents"))
    table(incidents, 0, *incident_table(labels, zone))

    articles = book.add_worksheet(s("sheet_articles"))
    table(
        articles,
        0,
        [s("col_article"), s("col_count")],
        [[a, n] for a, n in data.articles.most_common()],
    )
    summary.activate()
    book.close()
    return out.getvalue()


Table = tuple[list[str], list[list[object]]]


def escalation_table(labels: Labels, zone: object) -> Table:
    columns = labels.cols(
        "id", "opened", "group", "tier", "category", "article", "response", "median_response"
    )
    rows: list[list[object]] = [
        [
            e.id,
            _local(e.at, zone),
            e.group,
            e.tier,
            labels.category(e.category),
            e.article,
            labels.t(f"escalation.pressed_{_pressed(e.response)}") if e.response else "-",
            "-" if e.minutes is None else e.minutes,
            e.summary,
        ]
        for e in labels.data.escalations
    ]
    return [*columns, labels.s("col_summary")], rows


def incident_table(labels: Labels, zone: object) -> Table:
    rows: list[list[object]] = [
        [
            i.id,
            _local(i.at, zone),
            i.unit,
            i.group,
            labels.stage(i.stage),
            labels.t("command.word_yes" if i.major else "command.word_no"),
            i.summary,
        ]
        for i in labels.data.incidents
    ]
    return labels.cols("id", "opened", "unit", "group", "stage", "major", "summary"), rows


def _pressed(response: str) -> str:
    return {"acknowledged": "ack", "lifted": "lift"}.get(response, response)


# ------------------------------------------------------------------ HTML
COLOURS = ("#2F6EBA", "#E08A2C", "#4E9A4E")


def _svg_open(
    title: str, series: Sequence[str], width: int, height: int, legend_x: int
) -> list[str]:
    """The opening of a chart: size, the CJK font stack, a title and the series legend."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
        f'height="{height}" font-family="{FONT_STACK}" font-size="12">',
        f"<title>{html.escape(title)}</title>",
        f'<text x="0" y="16" font-size="14" font-weight="bold">{html.escape(title)}</text>',
    ]
    for i, name in enumerate(series):
        x = legend_x + i * 110
        parts.append(f'<rect x="{x}" y="24" width="10" height="10" fill="{COLOURS[i]}"/>')
        parts.append(f'<text x="{x + 14}" y="33">{html.escape(name)}</text>')
    return parts


def _svg_bars(title: str, series: Sequence[str], rows: Sequence[tuple[str, Sequence[int]]]) -> str:
    """Horizontal grouped bars, one group per label; plain SVG text for every label."""
    bar, gap, label_w, plot_w = 14, 10, 190, 420
    peak = max((v for _, values in rows for v in values), default=0) or 1
    height = 40 + len(rows) * (bar * len(series) + gap) + 24
    parts = _svg_open(title, series, label_w + plot_w + 60, height, label_w)
    y = 44
    for label, values in rows:
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar * len(series) / 2 + 4}" '
            f'text-anchor="end">{html.escape(label)}</text>'
        )
        for i, value in enumerate(values):
            width = round(plot_w * value / peak)
            parts.append(
                f'<rect x="{label_w}" y="{y}" width="{width}" height="{bar - 2}" '
                f'fill="{COLOURS[i % len(COLOURS)]}"/>'
            )
            parts.append(f'<text x="{label_w + width + 4}" y="{y + bar - 4}">{value}</text>')
            y += bar
        y += gap
    parts.append("</svg>")
    return "".join(parts)


def _svg_columns(
    title: str, series: Sequence[str], rows: Sequence[tuple[str, Sequence[int]]]
) -> str:
    """Vertical grouped columns over time (the weekly trend), with a baseline and values."""
    col, gap, plot_h, left, top = 16, 44, 220, 36, 48
    peak = max((v for _, values in rows for v in values), default=0) or 1
    group_w = col * len(series) + gap
    width = left + len(rows) * group_w + 20
    base = top + plot_h
    parts = _svg_open(title, series, max(width, 360), base + 56, left)
    parts.append(f'<line x1="{left}" y1="{base}" x2="{width - 10}" y2="{base}" stroke="#888"/>')
    for g, (label, values) in enumerate(rows):
        x0 = left + g * group_w
        for i, value in enumerate(values):
            height = round(plot_h * value / peak)
            x = x0 + i * col
            parts.append(
                f'<rect x="{x}" y="{base - height}" width="{col - 2}" height="{height}" '
                f'fill="{COLOURS[i % len(COLOURS)]}"/>'
            )
            parts.append(
                f'<text x="{x + (col - 2) / 2}" y="{base - height - 3}" '
                f'text-anchor="middle" font-size="10">{value}</text>'
            )
        week, _, day = label.partition(" ")
        centre = x0 + col * len(series) / 2
        parts.append(
            f'<text x="{centre}" y="{base + 16}" text-anchor="middle">{html.escape(week)}</text>'
        )
        if day:
            parts.append(
                f'<text x="{centre}" y="{base + 30}" text-anchor="middle" font-size="10">'
                f"{html.escape(day)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _html_table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(labels: Labels, zone: object) -> bytes:
    data, s = labels.data, labels.s
    both = [s("col_detections"), s("col_actions")]
    sections = [
        f"<h1>{html.escape(labels.title())}</h1>",
        f"<p>{html.escape(labels.scope())}<br>{html.escape(labels.generated(zone))}</p>",
        f'<p class="head">{html.escape(labels.head())}</p>',
        f"<p>{html.escape(s('report_masked'))}</p>",
        f"<h2>{html.escape(s('sheet_summary'))}</h2>",
        _html_table([s("col_figure"), s("col_value")], summary_rows(labels)),
        f"<h2>{html.escape(s('sheet_weeks'))}</h2>",
        _svg_columns(s("chart_weeks"), both, [(k, v) for k, v in data.weeks.items()]),
        f"<h2>{html.escape(s('sheet_categories'))}</h2>",
        _svg_bars(
            s("chart_categories"),
            both,
            [(labels.category(k), v) for k, v in sorted(data.categories.items())],
        ),
        _html_table(
            [s("col_kind"), s("col_count")],
            [(labels.kind(k), n) for k, n in data.kinds.most_common()],
        ),
        f"<h2>{html.escape(s('sheet_units'))}</h2>",
        _svg_bars(
            s("chart_units"),
            both,
            [(name, [c.detections, c.actions]) for name, c in data.units.items()],
        ),
        _html_table(
            [s("col_unit"), *labels.count_columns()],
            [[name, *c.as_row()] for name, c in data.units.items()],
        ),
        f"<h2>{html.escape(s('sheet_groups'))}</h2>",
        _html_table(
            [s("col_unit"), s("col_group"), s("col_filing"), *labels.count_columns()],
            [
                [
                    g.unit,
                    g.group,
                    s("filing_registered" if g.registered else "filing_unregistered"),
                    *g.counts.as_row(),
                ]
                for g in data.groups
            ],
        ),
        f"<h2>{html.escape(s('sheet_escalations'))}</h2>",
        _html_table(*escalation_table(labels, zone)),
        f"<h2>{html.escape(s('sheet_incidents'))}</h2>",
        _html_table(*incident_table(labels, zone)),
        f"<h2>{html.escape(s('sheet_articles'))}</h2>",
        _html_table([s("col_article"), s("col_count")], list(data.articles.most_common())),
    ]
    style = (
        f"body{{font-family:{FONT_STACK};margin:2em;color:#222}}"
        "table{border-collapse:collapse;margin:.5em 0 1.5em}"
        "th,td{border:1px solid #bbb;padding:.25em .6em;text-align:left}"
        "th{background:#DDEBF7}.head{font-family:monospace;word-break:break-all}"
    )
    page = (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(labels.title())}</title><style>{style}</style></head>"
        f"<body>{''.join(sections)}</body></html>"
    )
    return page.encode("utf-8")


# ------------------------------------------------------------------ CSV
def render_csv(labels: Labels, zone: object) -> bytes:
    """One tidy table: section, unit, group, category, week, figure, value."""
    data, s = labels.data, labels.s
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["section", "unit", "group", "category", "week", "figure", "value"])
    w.writerow(["meta", "", "", "", "", "period", data.period.label])
    w.writerow(["meta", "", "", "", "", "scope", data.scope or s("report_scope_all")])
    w.writerow(["meta", "", "", "", "", "journal_head", str(data.head)])
    for figure, value in zip(Counts.FIELDS, data.totals.as_row(), strict=True):
        w.writerow(["total", "", "", "", "", figure, value])
    for name, counts in data.units.items():
        for figure, value in zip(Counts.FIELDS, counts.as_row(), strict=True):
            w.writerow(["unit", name, "", "", "", figure, value])
    for g in data.groups:
        for figure, value in zip(Counts.FIELDS, g.counts.as_row(), strict=True):
            w.writerow(["group", g.unit, g.group, "", "", figure, value])
    for category, (detections, actions) in sorted(data.categories.items()):
        w.writerow(["category", "", "", category, "", "detections", detections])
        w.writerow(["category", "", "", category, "", "actions", actions])
    for week, (detections, actions) in data.weeks.items():
        w.writerow(["week", "", "", "", week, "detections", detections])
        w.writerow(["week", "", "", "", week, "actions", actions])
    for kind, n in data.kinds.most_common():
        w.writerow(["action_kind", "", "", "", "", kind, n])
    for article, n in data.articles.most_common():
        w.writerow(["article", "", "", "", "", article, n])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
