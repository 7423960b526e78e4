"""The effective settings that matter to a supervisor, read-only and in words (tg-spam has
such a page): detection thresholds, the action ladders, the approval chains, the supervision
and member-audit schedules. Durations read ``30 天``, never ``30d``; actions read as the chat
says them. Secrets are never shown: the database only by its kind, the cookie secret only by
whether its variable is set. For the registrar and group admins; anyone else gets a 403,
journaled."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web

from bot.actions.texts import NoticeTexts
from bot.config import Settings
from bot.i18n import Catalogue
from bot.web.app import SESSION, _deps, _viewer, refuse, render
from rules.detection import Detector


@dataclass(frozen=True, slots=True)
class Section:
    key: str  # its catalogue title, web.set_<key>
    rows: list[tuple[str, str]]  # (label, value), both already in words


def _yes_no(c: Catalogue, flag: bool) -> str:
    return c.t("command.word_yes" if flag else "command.word_no")


def _score(value: float) -> str:
    """A threshold as chosen (0.9775 is not 0.98): at least two decimals, at most four."""
    text = f"{value:.4f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


def _detection(settings: Settings, detector: Detector, c: Catalogue) -> Section:
    t = c.t
    d = settings.detection
    model = detector.model
    rows = [(t("web.set_model"), _yes_no(c, model is not None))]
    if model is not None:
        rows += [
            (t("web.set_model_review"), _score(model.review)),
            (t("web.set_model_high"), _score(model.high)),
            (t("web.set_model_min_chars"), t("web.set_chars", n=model.min_chars)),
        ]
    workchat = detector.workchat
    rows.append((t("web.set_workchat"), _yes_no(c, workchat is not None)))
    if workchat is not None:
        rows += [
            (t("web.set_workchat_review"), _score(workchat.review)),
            (t("web.set_workchat_high"), _score(workchat.high)),
        ]
        if workchat.doubt_below > 0 and workchat.doubt:
            categories = "、".join(t(f"category.{x}") for x in sorted(workchat.doubt))
            doubt = t("web.set_doubt", score=_score(workchat.doubt_below), n=workchat.doubt_chars,
                      categories=categories)  # fmt: skip
            rows.append((t("web.set_workchat_doubt"), doubt))
    rows += [
        (t("web.set_trusted_domains"), "、".join(d.trusted_domains) or t("web.none")),
        (t("web.set_own_contact_ok"), _yes_no(c, d.own_contact_ok)),
        (t("web.set_lexicons"), t("web.set_terms", n=detector.term_count)),
    ]
    return Section("detection", rows)


def _policy(settings: Settings, c: Catalogue) -> Section:
    t = c.t
    p = settings.policy
    texts = NoticeTexts(c, settings)
    nick = p.nickname
    rows = [
        (t("web.set_window"), c.duration(p.window)),
        (
            t("web.set_nickname"),
            t(
                "web.set_nickname_rule",
                example=nick.example,
                grace=c.duration(nick.grace_period),
                then=texts.chain(nick.action),
            )
            if nick.enabled
            else t("command.word_no"),
        ),
        (
            t("web.set_flood"),
            t(
                "web.set_flood_rule",
                n=p.flood.max_messages,
                window=c.duration(p.flood.window),
                r=p.flood.max_repeats,
                repeat_window=c.duration(p.flood.repeat_window),
            )
            if p.flood.enabled
            else t("command.word_no"),
        ),
        (
            t("web.set_repeat_to_tier2"),
            t("web.set_nth", n=p.repeat_to_tier2) if p.repeat_to_tier2 else t("command.word_no"),
        ),
    ]
    for name, category in p.categories.items():
        if category.enabled:
            ladder = " → ".join(texts.chain(step) for step in category.steps)
            rows.append((t(f"category.{name}"), ladder))
    return Section("policy", rows)


def _governance(settings: Settings, c: Catalogue) -> Section:
    t = c.t
    g = settings.governance

    def role(name: str) -> str:
        key = f"governance.role_{name}"
        return t(key) if c.has(key) else name

    rows = [
        (
            t(f"web.set_chain_{kind}") if c.has(f"web.set_chain_{kind}") else kind,
            " → ".join([t("web.set_submitted"), *(role(r) for r in steps)]),
        )
        for kind, steps in g.chains.items()
    ]
    rows += [
        (t("web.set_step_reminder"), c.duration(g.step_reminder_after)),
        (t("web.set_step_escalate"), c.duration(g.step_escalate_after)),
        (t("web.set_temporary_max"), c.duration(timedelta(days=g.temporary_max_days))),
        (t("web.set_inactive_after"), c.duration(g.inactive_after)),
        (t("web.set_dissolve_after"), c.duration(g.dissolve_after)),
    ]
    return Section("governance", rows)


def _supervision(settings: Settings, c: Catalogue) -> Section:
    t = c.t
    s = settings.supervision
    rows = [
        (
            t("web.set_report_to", tier=r.tier),
            t(
                "web.set_report_rule",
                every=t(f"web.set_every_{r.every}"),
                time=s.report_time,
                unit=r.unit or t("web.all_units"),
                format=r.format,
            ),
        )
        for r in s.reports
    ]
    i = s.incidents
    rows += [
        (t("web.set_incident_auto"), _yes_no(c, i.auto_open)),
        (
            t("web.set_incident_tiers"),
            t("web.set_tiers", proposal=i.proposal_tier, major=i.major_tier),
        ),
        (t("web.set_incident_merge"), c.duration(i.merge_within)),
    ]
    m = settings.members
    audit = (
        t("command.word_no")
        if m.audit == "off"
        else t(
            f"web.set_audit_{m.audit}",
            day=m.audit_day,
            weekday=t(f"web.weekday_{m.audit_day}") if m.audit == "weekly" else "",
            time=m.audit_time.strftime("%H:%M"),
        )
    )
    rows += [
        (t("web.set_member_audit"), audit),
        (t("web.set_member_inactive"), c.duration(m.inactive_after)),
    ]
    return Section("supervision", rows)


def _running(settings: Settings, c: Catalogue) -> Section:
    t = c.t
    url = settings.database.resolved_url()
    kind = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    secret = os.environ.get(settings.web.secret_env)
    return Section(
        "running",
        [
            (t("web.set_language"), t(f"web.lang_{settings.language.replace('-', '_')}")),
            (t("web.set_timezone"), settings.timezone),
            (t("web.set_database"), kind),  # never the URL: it may carry a password
            (
                t("web.set_secret"),
                t(
                    "web.set_secret_set" if secret else "web.set_secret_unset",
                    env=settings.web.secret_env,
                ),
            ),
            (t("web.set_dry_run"), _yes_no(c, settings.dry_run)),
        ],
    )


def sections(settings: Settings, detector: Detector, catalogue: Catalogue) -> list[Section]:
    return [
        _detection(settings, detector, catalogue),
        _policy(settings, catalogue),
        _governance(settings, catalogue),
        _supervision(settings, catalogue),
        _running(settings, catalogue),
    ]


async def settings_page(request: web.Request) -> web.Response:
    viewer = _viewer(request)
    if not viewer.reads_settings:
        return await refuse(request, "settings", detail="settings are for the registrar and admins")
    deps = _deps(request)
    settings = deps.app.settings
    catalogue = deps.catalogues.get(
        request[SESSION].lang or settings.language, deps.catalogues[settings.language]
    )
    return render(
        request, "settings.html", sections=sections(settings, deps.app.detector, catalogue)
    )


def add_settings_page(app: web.Application) -> None:
    app.router.add_get("/settings", settings_page)
