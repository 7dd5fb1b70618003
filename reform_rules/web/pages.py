"""The HTML pages: small templates in ``templates/`` filled with escaped values (no template engine).

The caseworker page is filled in by ``static/app.js`` from the JSON API; the rules page is
rendered here completely, so legal staff can read (and print) it without JavaScript.
"""
from __future__ import annotations

import json
from datetime import date
from html import escape
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from reform_rules.answer.explain import STATUS, source_name
from reform_rules.basics.i18n import gettext
from reform_rules.law.model import STATUS_ORDER
from reform_rules.web import views
from reform_rules.web.i18n import ERROR_PATTERNS, LANGS, UI
from reform_rules.web.sources import cited_by, source_json

if TYPE_CHECKING:
    from reform_rules.web.state import WebState

TEMPLATES = Path(__file__).resolve().parent / "templates"
_cache: dict[str, Template] = {}


def template(name: str) -> Template:
    if name not in _cache:
        _cache[name] = Template((TEMPLATES / name).read_text(encoding="utf-8"))
    return _cache[name]


def e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def script_json(value: Any) -> str:
    """JSON for a ``<script type="application/json">`` element (no ``</script>`` can end it early)."""
    return (json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026"))


def header(lang: str, active: str, switch_href: str) -> str:
    w = UI[lang]
    other = "en" if lang == "da" else "da"
    nav = []
    for key, href, label in (("citizen", "/", w["nav_citizen"]), ("rules", "/rules", w["nav_rules"]),
                             ("sources", "/sources", w["nav_sources"]), ("api", "/docs", w["nav_api"])):
        cls = ' class="active" aria-current="page"' if key == active else ""
        nav.append(f'<a href="{href}?lang={lang}" data-nav="{href}" data-i18n="nav_{key}"{cls}>{e(label)}</a>')
    return template("header.html").substitute(
        lang=lang, app_title=e(w["app_title"]), app_subtitle=e(w["app_subtitle"]), nav="".join(nav),
        switch_href=e(switch_href), other=other, switch_label=e(w["switch_lang"]),
        switch_title=e(w["switch_lang_title"]))


def head(lang: str, title: str, scripts: str = "") -> str:
    """The <head> every page shares; ``scripts``: the page's own script tags."""
    return template("head.html").substitute(lang=lang, title=e(title), scripts=scripts)


def _footer(lang: str) -> str:
    return f'<footer class="footer"><p data-i18n="footer">{e(UI[lang]["footer"])}</p></footer>'


# -- the caseworker page ------------------------------------------------------------------------
def citizen_page(state: "WebState", lang: str) -> str:
    w = UI[lang]
    other = "en" if lang == "da" else "da"
    config = {"lang": lang, "ui": {k: UI[k] for k in LANGS}, "vocabulary": views.vocabulary_json(state.base.ruleset),
              "errors": [{"re": pattern, "da": gettext(msgid, "da")} for pattern, msgid in ERROR_PATTERNS],
              "statuses": views.status_json(), "examples": bool(state.example_files()),
              "today": date.today().isoformat()}

    def t(key: str) -> str:
        return e(w[key])
    values = {k: t(k) for k in (
        "citizen_title", "citizen_intro", "examples", "upload", "section_person", "f_id", "f_id_hint",
        "section_spells", "spells_hint", "spells_empty", "section_query", "f_date", "submit", "clear", "date_hint",
        "no_answer", "noscript", "skip_form", "skip_answer")}
    return template("citizen.html").substitute(
        values, lang=lang, head=head(lang, f"{w['citizen_title']} – {w['app_title']}",
                                     f'<script type="application/json" id="config">{script_json(config)}</script>\n'
                                     '<script src="/static/app.js" defer></script>\n'),
        header=header(lang, "citizen", f"?lang={other}"), footer=_footer(lang),
        today=e(config["today"]), answer_label=e(w["answer_region"]))


# -- the rules page -----------------------------------------------------------------------------
def _badge(status: str, lang: str) -> str:
    label = STATUS.get(status, {}).get(lang, status)
    return f'<span class="badge status-{e(status)}" title="{e(label)}">{e(label)}</span>'


def _valid(rule_from: date | None, rule_to: date | None, lang: str) -> str:
    w = UI[lang]
    if not rule_from and not rule_to:
        return e(w["always"])
    parts = []
    if rule_from:
        parts.append(f'{e(w["valid_from"])} <time>{rule_from.isoformat()}</time>')
    if rule_to:
        parts.append(f'{e(w["valid_to"])} <time>{rule_to.isoformat()}</time>')
    return " ".join(parts)


def _rule_card(rule, state: "WebState", lang: str) -> str:
    w = UI[lang]
    other = "en" if lang == "da" else "da"
    rs = state.base.ruleset
    rows = [
        f'<dt>{e(w["valid"])}</dt><dd>{_valid(rule.valid_from, rule.valid_to, lang)}</dd>',
        f'<dt>{e(w["decides"])}</dt><dd>{e(views.decides_text(rule, rs, lang))}</dd>',
        f'<dt>{e(w["conditions"])}</dt><dd><code>'
        f'{e(rule.condition.text()) if rule.condition else e(w["no_conditions"])}</code></dd>',
    ]
    if rule.overrides:
        links = ", ".join(f'<a href="#{e(t)}"><code>{e(t)}</code></a>' for t in rule.overrides)
        effect = w["effect_waive"] if rule.effect == "waive" else w["effect_replace"]
        rows.append(f'<dt>{e(w["overrides"])}</dt><dd>{links} <span class="muted">({e(effect)})</span></dd>')
    sources = []
    for c in rule.source:
        src = rs.sources.get(c.ref)
        name = source_name(src) if src else c.ref
        where = f' <span class="muted">– {e(c.at)}</span>' if c.at else ""
        st = f" {_badge(src.status, lang)}" if src else ""
        link = (f'<a href="/sources/{e(c.ref)}?lang={lang}{e(state.seeds.anchor(c))}"><strong>{e(name)}</strong></a>'
                if src else f"<strong>{e(name)}</strong>")
        sources.append(f'<li>{link}{st}{where} <code class="ref">{e(c.ref)}</code></li>')
    rows.append(f'<dt>{e(w["sources"])}</dt><dd><ul class="sources">{"".join(sources)}</ul></dd>')
    if rule.question:
        rows.append(f'<dt>{e(w["question"])}</dt><dd class="question">{e(rule.question.get(lang))}</dd>')
    if rule.reason:
        rows.append(f'<dt>{e(w["reason"])}</dt><dd>{e(rule.reason.get(lang))}</dd>')
    rows.append(f'<dt>{e(w["file"])}</dt><dd><code>{e(rule.file)}:{rule.line}</code></dd>')
    return (f'<article class="rule" id="{e(rule.id)}" data-rule="{e(rule.id)}">'
            f'<header><h3>{e(rule.title.get(lang))}</h3>{_badge(rule.status, lang)}</header>'
            f'<p class="rule-id"><a href="#{e(rule.id)}"><code>{e(rule.id)}</code></a>'
            f' <span class="muted" lang="{other}" title="{e(w["title_other"])}">{e(rule.title.get(other))}</span></p>'
            f'<dl class="facts">{"".join(rows)}</dl></article>')


def _check_box(state: "WebState", lang: str) -> str:
    w = UI[lang]
    report, running = state.check()
    loaded = w["served_from"].format(directory=state.rules_dir, loaded=state.loaded_at.isoformat(sep=" "))
    notes = []
    if running:
        notes.append(f'<p class="muted" id="check-running">{e(w["check_running"])}</p>')
    if state.stale:
        notes.append(f'<p class="warn">{e(w["check_stale"])}</p>')
    lines = report.lines(lang=lang) if hasattr(report, "lines") else []
    head = f"✓ {w['check_clean']}" if report.ok else f"✗ {w['check_broken']} ({len(report.errors)})"
    items = "".join(f"<li><code>{e(line)}</code></li>" for line in lines)
    undetermined = getattr(report, "undetermined", None) or []
    if undetermined:
        items += (f'<li><details><summary>{e(w["check_undetermined"].format(n=len(undetermined)))}</summary><ul>'
                  + "".join(f"<li><code>{e(u)}</code></li>" for u in undetermined) + "</ul></details></li>")
    return (f'<section class="check-summary {"ok" if report.ok else "broken"}" id="check">'
            f'<h2>{e(w["check_title"])}</h2><p><strong>{e(head)}</strong></p><ul class="check-lines">{items}</ul>'
            f'<p class="muted">{e(loaded)}</p>{"".join(notes)}</section>')


def rules_page(state: "WebState", lang: str, on: date | None, subject: str | None, status: str | None,
               problem: str | None, raw_date: str | None) -> str:
    w = UI[lang]
    rs = state.base.ruleset
    other = "en" if lang == "da" else "da"
    params = {k: v for k, v in (("date", raw_date), ("subject", subject), ("status", status)) if v}
    switch = "?" + urlencode({**params, "lang": other})
    subjects = views.subjects_json(rs)
    shown = [r for r in rs.rules if (on is None or r.valid_on(on)) and (subject is None or r.subject == subject)
             and (status is None or r.status == status)]
    options = [f'<option value="">{e(w["all_subjects"])}</option>']
    for s in subjects:
        sel = " selected" if s["id"] == subject else ""
        options.append(f'<option value="{e(s["id"])}"{sel}>{e(s["title"].get(lang, s["id"]))}</option>')
    status_options = [f'<option value="">{e(w["all_statuses"])}</option>']
    for st in STATUS_ORDER:
        sel = " selected" if st == status else ""
        status_options.append(f'<option value="{st}"{sel}>{e(STATUS[st][lang])}</option>')
    toc, sections = [], []
    for s in subjects:
        rules = [r for r in shown if r.subject == s["id"]]
        if not rules:
            continue
        title = s["title"].get(lang, s["id"])
        toc.append(f'<li><a href="#subject-{e(s["id"])}">{e(title)}</a> <span class="count">{len(rules)}</span></li>')
        cards = "".join(_rule_card(r, state, lang) for r in rules)
        sections.append(f'<section class="subject" id="subject-{e(s["id"])}"><h2>{e(title)} '
                        f'<span class="muted file"><code>{e(s["file"])}</code></span></h2>{cards}</section>')
    if not sections:
        sections.append(f'<p class="empty">{e(w["none_valid"])}</p>')
    legend = "".join(f"<li>{_badge(s, lang)}</li>" for s in STATUS_ORDER)
    problem_html = f'<p class="error-inline" role="alert">{e(problem)}</p>' if problem else ""
    return template("rules.html").substitute(
        lang=lang, head=head(lang, f"{w['rules_title']} – {w['app_title']}"), header=header(lang, "rules", switch),
        footer=_footer(lang), rules_title=e(w["rules_title"]), rules_intro=e(w["rules_intro"]),
        check=_check_box(state, lang), filter_date=e(w["filter_date"]), date_value=e(raw_date or ""),
        date_hint=e(w["date_hint"]), filter_subject=e(w["filter_subject"]), subject_options="".join(options),
        filter_status=e(w["filter_status"]), status_options="".join(status_options), filter=e(w["filter"]),
        reset=e(w["reset"]), problem=problem_html,
        count=e(w["n_shown"].format(shown=len(shown), total=len(rs.rules))), toc="".join(toc),
        sections="".join(sections), statuses=e(w["statuses"]), legend=legend, skip=e(w["skip_content"]))


# -- the API page ---------------------------------------------------------------------------------
def docs_page(state: "WebState", lang: str) -> str:
    w = UI[lang]
    other = "en" if lang == "da" else "da"
    return template("docs.html").substitute(
        lang=lang, head=head(lang, f"{w['docs_title']} – {w['app_title']}",
                             '<script src="/static/docs.js" defer></script>\n'),
        header=header(lang, "api", f"?lang={other}"),
        footer=_footer(lang), docs_title=e(w["docs_title"]), docs_intro=e(w["docs_intro"]),
        docs_loading=e(w["docs_loading"]), skip=e(w["skip_content"]))


# -- the sources ----------------------------------------------------------------------------------
def _kind_label(kind: str, lang: str) -> str:
    return UI[lang].get(f"srckind_{kind}", kind)


def _source_link(item: dict[str, Any], lang: str) -> str:
    """A source's name, linked to its page here (a seed's text) or its public address."""
    return f'<a href="{e(item["page"])}?lang={lang}">{e(item["name"])}</a>'


def sources_page(state: "WebState", lang: str) -> str:
    w = UI[lang]
    other = "en" if lang == "da" else "da"
    users = cited_by(state.base.ruleset)
    rows = []
    for src in state.base.ruleset.sources.values():
        item = source_json(src, state.seeds, users.get(src.id))
        date_text = item["date"] or w["src_not_dated"]
        public = (f' <a class="ext" href="{e(item["url"])}" rel="noopener">{e(w["src_address"].lower())}</a>'
                  if item["url"] else "")
        rows.append(f'<tr id="{e(src.id)}"><td>{_source_link(item, lang)}{public}'
                    + (f'<div class="small muted">{e(item["title"])}</div>' if item["title"] != item["name"] else "")
                    + f'</td><td class="date"><time>{e(date_text)}</time></td><td>{e(_kind_label(src.kind, lang))}</td>'
                    f'<td>{_badge(src.status, lang)}</td><td class="num">{len(item["cited_by"])}</td></tr>')
    body = (f'<h1>{e(w["sources_title"])}</h1><p class="intro">{e(w["sources_intro"])}</p>'
            f'<div class="table-wrap"><table class="table sources-table"><thead><tr><th>{e(w["src_title"])}</th>'
            f'<th>{e(w["src_date"])}</th><th>{e(w["src_kind"])}</th><th>{e(w["src_status"])}</th>'
            f'<th class="num">{e(w["src_cited_by"])}</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>')
    return template("sources.html").substitute(
        head=head(lang, f"{w['sources_title']} – {w['app_title']}"), header=header(lang, "sources", f"?lang={other}"),
        footer=_footer(lang), body=body, skip=e(w["skip_content"]))


def source_page(state: "WebState", lang: str, source_id: str) -> str | None:
    """A source's page: what it is, who cites it, and for a seed its text with numbered, linkable lines."""
    src = state.base.ruleset.sources.get(source_id)
    if src is None:
        return None
    w = UI[lang]
    other = "en" if lang == "da" else "da"
    by_id = state.base.ruleset.by_id
    item = source_json(src, state.seeds, cited_by(state.base.ruleset).get(src.id))
    facts = [(w["src_title"], e(src.title)), (w["src_date"], f'<time>{e(item["date"])}</time>' if item["date"]
                                              else e(w["src_not_dated"])),
             (w["src_kind"], e(_kind_label(src.kind, lang))), (w["src_status"], _badge(src.status, lang))]
    if item["url"]:
        facts.append((w["src_address"], f'<a href="{e(item["url"])}" rel="noopener">{e(item["url"])}</a>'))
    if item["reference"]:
        facts.append((w["src_reference"], e(item["reference"])))
    text = state.seeds.text(src.id) if src.kind == "seed" else None
    if text is not None:
        facts.append((w["src_text"], f'{e(w["src_copy_note"])} · <a href="/sources/{e(src.id)}.txt" '
                                     f'type="text/plain" id="raw-link">{e(w["src_raw"])}</a>'))
    rules = "".join(f'<li><a href="/rules?lang={lang}#{e(r)}">{e(by_id[r].title.get(lang) if r in by_id else r)}</a> '
                    f'<code class="id">{e(r)}</code></li>' for r in item["cited_by"])
    facts.append((w["src_cited_by"], f'<ul class="cited-by">{rules}</ul>' if rules else e(w["none"])))
    if src.note:
        facts.append((w["src_note"], f'<span lang="en">{e(src.note)}</span>'))
    dl = "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in facts)
    subtitle = f'<p class="intro">{e(src.title)}</p>' if src.title != item["name"] else ""
    parts = [f'<p class="crumbs"><a href="/sources?lang={lang}">← {e(w["src_all"])}</a></p>',
             f'<h1 id="source-name">{e(item["name"])}</h1>{subtitle}', f'<dl class="facts source-facts">{dl}</dl>']
    if src.kind == "seed":
        if text is None:
            parts.append(f'<p class="warn">{e(w["src_no_text"])}</p>')
        else:
            quoted = set(state.seeds.quoted_lines(src.id))
            lines = []
            for n, line in enumerate(text.split("\n"), 1):
                cls = ' class="quoted"' if n in quoted else ""
                lines.append(f'<span id="L{n}"{cls}><a class="ln" href="#L{n}" aria-label="{n}">{n}</a>'
                             f'{e(line) or " "}</span>')
            parts.append(f'<section class="seed" aria-labelledby="seed-title"><h2 id="seed-title">'
                         f'{e(w["src_text_title"])}</h2><p class="muted small">{e(w["src_quoted"])}</p>'
                         f'<pre class="seed-text" lang="da" id="seed-text">{"".join(lines)}</pre></section>')
    return template("sources.html").substitute(
        head=head(lang, f"{item['name']} – {w['sources_title']}"),
        header=header(lang, "sources", f"?lang={other}"), footer=_footer(lang), body="".join(parts),
        skip=e(w["skip_content"]))
