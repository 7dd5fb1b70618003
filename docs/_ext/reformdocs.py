"""Sphinx extension: everything the site says about rules is generated from ``rules/`` at build time.

On ``builder-inited`` it loads the rules with the engine API and writes into ``docs/generated/``:

- ``rules/<subject>.rst``: the rule catalogue, one page per rules file, one entry per rule;
- ``sources.rst``, ``seeds/<id>.rst`` (each seed's text by ``literalinclude``), ``vocabulary.rst``,
  ``parameters.rst``;
- ``open-questions.rst``: provisional rules with their reasons, undetermined answers with their questions;
- ``timeline.rst`` + ``timeline.svg`` and ``mapping.rst`` + ``mapping.svg`` (the 13 → 5 mapping, derived
  by answering synthetic citizens built from each old rule's conditions);
- ``commands/<id>.inc``: the real output of every command the guides show (``commands.py``).

Anything that does not hold (a command with the wrong exit code, a synthetic citizen that does not land
in the group its rule decides, a cited seed that is missing) is a Sphinx warning, so ``-W`` fails the build.
"""
from __future__ import annotations

import json
import re
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Iterable

from sphinx.errors import ExtensionError
from sphinx.util import logging

import commands as command_list
import pictures
from reform_rules.basics.i18n import gettext   # the program's own words in Danish, beside the English pages

logger = logging.getLogger(__name__)



# --- reStructuredText helpers ---------------------------------------------------------------------
_LIST_START = re.compile(r"^([-+*•]|\d+[.)]|[A-Za-z#][.)]|\(\w+\))(\s|$)")


def esc(text: Any) -> str:
    """Plain text made safe as inline reStructuredText."""
    text = str(text).replace("\\", "\\\\")
    for ch in "*`|_[":
        text = text.replace(ch, "\\" + ch)
    text = text.replace("::", ":\\:").replace("\n", " ")
    if _LIST_START.match(text):
        text = "\\" + text
    return text


def lit(text: Any) -> str:
    text = str(text).replace("``", "`\u200b`").strip() or " "
    return f"``{text}``"


def role_text(text: Any) -> str:
    text = str(text).replace("\\", "\\\\")
    for ch in "`<>":
        text = text.replace(ch, "\\" + ch)
    return text


def ref(label: str, text: str) -> str:
    return f":ref:`{role_text(text)} <{label}>`"


def extlink(text: str, url: str) -> str:
    """A link to a public address (an anonymous hyperlink, so equal texts do not clash)."""
    return f"`{role_text(text)} <{url}>`__"


def heading(text: str, char: str) -> list[str]:
    return [text, char * (len(text) + 2), ""]


def indent(lines: Iterable[str], n: int) -> list[str]:
    pad = " " * n
    return [pad + line if line else "" for line in lines]


def field_list(fields: list[tuple[str, list[str] | str]]) -> list[str]:
    """``:Name: body`` fields; a list body becomes a bullet list under the field."""
    out: list[str] = []
    for name, body in fields:
        if isinstance(body, str):
            out.append(f":{name}: {body}")
        elif body:
            out.append(f":{name}:")
            out.append("")
            for item in body:
                first, *rest = item.split("\n")
                out.append(f"   * {first}")
                out += [f"     {line}" if line else "" for line in rest]
            out.append("")
    out.append("")
    return out


def list_table(header: list[str], rows: list[list[str]], widths: list[int] | None = None,
               cls: str = "") -> list[str]:
    out = [".. list-table::", "   :header-rows: 1"]
    if widths:
        out.append("   :widths: " + " ".join(map(str, widths)))
    if cls:
        out.append(f"   :class: {cls}")
    out.append("")
    for row in [header] + rows:
        for i, cell in enumerate(row):
            out.append(("   * - " if i == 0 else "     - ") + (cell if cell.strip() else "\\ "))
    out.append("")
    return out


# --- writing files ----------------------------------------------------------------------------------
class Output:
    """Writes generated files only when their text changed; removes files no longer generated."""

    def __init__(self, root: Path):
        self.root = root
        self.written: set[Path] = set()
        self.started = time.time()

    def write(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text("utf-8") != text:
            path.write_text(text, "utf-8")
        self.written.add(path)

    def finish(self) -> None:
        for path in sorted(self.root.rglob("*"), reverse=True):
            try:
                # a file another build wrote since this one started is that build's: leave it
                if path.is_file() and path not in self.written and path.stat().st_mtime < self.started:
                    path.unlink()
                elif path.is_dir() and not any(path.iterdir()):
                    path.rmdir()
            except OSError:
                pass


# --- the model of the site -------------------------------------------------------------------------
@dataclass
class Site:
    root: Path                         # the project
    base: Any                          # reform_rules.RuleBase
    hits: dict = field(default_factory=lambda: defaultdict(dict))       # rule → {file: [dates]}
    persona_hits: dict = field(default_factory=lambda: defaultdict(dict))
    scenario_problems: list = field(default_factory=list)
    seed_lines: dict = field(default_factory=lambda: defaultdict(set))  # source id → quoted lines
    seed_texts: dict = field(default_factory=dict)                      # source id → (path, normalised, line map)

    @property
    def rs(self):
        return self.base.ruleset

    def rel(self, path: str | Path) -> str:
        p = Path(path)
        if not p.is_absolute():
            p = Path.cwd() / p
        try:
            return p.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    # names and links
    def rule_link(self, rule_id: str) -> str:
        if rule_id in self.rs.by_id:
            return ref(f"rule-{rule_id}", rule_id)
        return lit(rule_id)

    def group_rule(self, group_id: str) -> str | None:
        """The rule that best stands for a target group: the one of the same id, else the first."""
        concluding = [r.id for r in self.rs.rules if r.then_kind == "target_group"
                      and isinstance(r.then_value, dict) and r.then_value.get("id") == group_id]
        if group_id in concluding:
            return group_id
        return concluding[0] if concluding else None

    def group_link(self, group_id: str) -> str:
        rid = self.group_rule(group_id)
        return ref(f"rule-{rid}", group_id) if rid else lit(group_id)

    def term(self, key: str, value: str) -> str:
        table = vocab_tables(self.rs.vocabulary).get(key, "")
        term = self.rs.vocabulary.table(table).get(value)
        if term:
            return f"{esc(term.title['en'])} ({ref('vocab-' + table, value)})"
        if key == "target_group":
            return self.group_link(value)
        return lit(value)

    def source_link(self, source_id: str) -> str:
        src = self.rs.sources.get(source_id)
        if src is None:
            return lit(source_id)
        from reform_rules.answer.explain import source_name
        if src.kind == "seed":
            return ref(f"seed-text-{src.id}", source_name(src))
        return ref(f"source-{src.id}", source_name(src))

    def programme_title(self, pid: str) -> str:
        term = self.rs.vocabulary.table("programmes").get(pid)
        return term.title["en"] if term else pid


# --- conditions and conclusions, readably -----------------------------------------------------------
NUMBER_OPS = {"under": "under", "at_least": "at least", "over": "over", "at_most": "at most"}
DATE_OPS = {"before": "before", "on_or_after": "on or after"}


def _subject(site: Site, key: str) -> tuple[str, str]:
    """How a condition key reads (its declared English label), and what kind of test it is."""
    v = site.rs.vocabulary
    if key == "target_group":
        return "target group", "choice"
    found = v.condition_kind(key)
    if found is None:
        return key, ""
    what, decl = found
    if what in ("measure", "beside-measure"):
        measure = decl[0]
        return (measure.label.get("en") or key.replace("_", " ")).lower(), "date" if measure.is_date else "number"
    label = decl.label.get("en", key)
    return label[:1].lower() + label[1:], {"current": "choice", "beside": "beside"}.get(what, what)


def condition_text(site: Site, key: str, test: Any) -> str:
    """One condition in words, from the vocabulary's declared labels."""
    if key == "any_of":
        return "any of: " + "; or ".join(f"({branch_text(site, b)})" for b in test)
    subject, kind = _subject(site, key)
    if isinstance(test, dict) and set(test) == {"known"}:
        if kind == "beside":
            return f"in a {subject.lower()}" if test["known"] else f"in no {subject.lower()}"
        return f"{subject} is given" if test["known"] else f"{subject} not given"
    if kind in ("choice", "beside"):
        verb = "in" if kind == "beside" else f"{subject} is"
        if isinstance(test, str):
            return f"{verb} {site.term(key, test)}"
        if isinstance(test, list):
            test = {"in": test}
        parts = []
        if "in" in test:
            parts.append(f"{verb} one of {', '.join(site.term(key, x) for x in test['in'])}")
        if "not_in" in test:
            parts.append(f"{verb} none of {', '.join(site.term(key, x) for x in test['not_in'])}")
        return " and ".join(parts)
    if kind in ("number", "integer"):
        ops = [f"{NUMBER_OPS[op]} {k}" for op, k in test.items() if op in NUMBER_OPS]
        return f"{subject} {' and '.join(ops)}"
    if kind == "date":
        return subject + " " + " and ".join(f"{DATE_OPS[op]} {x}" for op, x in test.items() if op in DATE_OPS)
    if kind == "bool":
        return esc(f"{subject}: {'yes' if test else 'no'}")
    return f"{lit(key)}: {lit(json.dumps(test, ensure_ascii=False, default=str))}"


def branch_text(site: Site, when: dict) -> str:
    return " and ".join(condition_text(site, k, v) for k, v in when.items()) or "no further condition"


def conditions(site: Site, when: dict) -> list[str]:
    """The ``when`` of a rule as bullet items (``any_of`` as a nested list of its branches)."""
    if not when:
        return ["none: the rule holds for every citizen while it is valid"]
    items = []
    for key, test in when.items():
        if key == "any_of":
            items.append("any of:\n\n" + "\n".join(f"- {branch_text(site, b)}" for b in test) + "\n")
        else:
            items.append(condition_text(site, key, test))
    return items


def obligation_text(site: Site, spec: dict) -> str:
    from reform_rules.answer.explain import kind_label
    kind = kind_label(site.rs.answer, spec["kind"], None, "en")
    if spec.get("hours_per_week"):
        text = f"{kind}: up to {spec['hours_per_week']} hours a week"
    elif spec.get("count") is None:
        text = f"{kind} as the municipality judges"
    else:
        text = f"at least {spec['count']} {kind}"
    if spec.get("by_whom"):
        term = site.rs.vocabulary.table("by_whom").get(spec["by_whom"])
        text += f" at {term.title['en'] if term else spec['by_whom']}"
    if spec.get("within_months"):
        text += f" within the first {spec['within_months']} months of the benefit spell"
    if spec.get("every_months"):
        text += f", every {spec['every_months']} months"
    if spec.get("first_within_weeks"):
        text += f", the first within {spec['first_within_weeks']} weeks"
    return esc(text) + f" (kind {lit(spec['kind'])})"


def decides(site: Site, rule) -> str:
    """What a rule decides, in words, by the kind of answer field it decides (``rules/the-answer.yaml``)."""
    kind, value = rule.then_kind, rule.then_value
    if kind is None:
        return "nothing of its own: it waives " + ", ".join(site.rule_link(t) for t in rule.overrides) + \
            " (the requirement is still reported, marked waived)"
    field = site.rs.answer.by_then(kind)
    noun = field.label["en"].lower() if field else kind
    if rule.undetermined:
        return f"**undetermined** {noun}: an open question (see the question above)"
    if rule.decides_none:
        return f"**no {noun}**, decided explicitly (the field is not silent: this rule and its source say why)"
    if field is None:
        return f"{lit(kind)}: {lit(json.dumps(value, ensure_ascii=False, default=str))}"
    if field.kind == "id":
        carried = "".join(f"; {esc(field.attribute_label(k, value.get(k), 'en'))}" for k in field.carry)
        note = f", {esc(value['note'].get('en', ''))}" if isinstance(value.get("note"), dict) else ""
        danish = f" / *{esc(name_of(value, 'da'))}*" if field.carry else ""
        return f"{noun} {esc(name_of(value))}{danish} ({lit(value['id'])}{carried}){note}"
    if field.kind == "status":
        return f"{site.term(kind, value['id'])}: {lit(value['status'])}, {esc(field.value_label(value['status'], 'en'))}"
    if field.kind == "obligation":
        return obligation_text(site, value)
    if field.kind == "value":
        return f"{noun}: {lit(value)}, {esc(field.value_label(value, 'en'))}"
    if field.kind == "flag":
        return f"in the {noun}" if value else f"not in the {noun}"
    return f"{lit(kind)}: {lit(json.dumps(value, ensure_ascii=False, default=str))}"


def name_of(value: dict, lang: str = "en") -> str:
    """The display name a conclusion gives (``then: {x: {id, name: {da, en}}}``), else its id."""
    name = value.get("name")
    return name.get(lang) or value.get("id", "") if isinstance(name, dict) else str(value.get("id", ""))


def validity(rule) -> str:
    a, b = rule.valid_from, rule.valid_to
    if a and b:
        return f"from {a} to {b}"
    if a:
        return f"from {a}"
    if b:
        return f"until {b}"
    return "always (no dates)"


def status_text(status: str) -> str:
    from reform_rules.answer.explain import STATUS
    label = STATUS.get(status, {})
    return f"{lit(status)}: *{esc(label.get('da', status))}* / {esc(label.get('en', status))}"


# --- seeds: where a quoted phrase is in the seed text ------------------------------------------------
def _normalise(text: str) -> tuple[str, list[int]]:
    """The seed text as the web app matches quotes in it (one function for both)."""
    from reform_rules.web.sources import normalise_text
    return normalise_text(text)


_QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”')


def quoted_phrases(citation) -> list[str]:
    phrases = [citation.quote] if citation.quote else []
    for m in _QUOTED.finditer(citation.at or ""):
        phrases.append(m.group(1) or m.group(2))
    out = []
    for p in phrases:
        part = max(re.split(r"…|\.\.\.", p), key=len).strip()
        if len(part) >= 8:
            out.append(part)
    return out


def seed_file(site: Site, src) -> Path:
    return site.root / "rules" / "seeds" / Path(getattr(src, "file", None) or src.where).name


def find_in_seed(site: Site, src, phrase: str) -> int | None:
    if src.id not in site.seed_texts:
        path = seed_file(site, src)
        if not path.is_file():
            site.seed_texts[src.id] = None
        else:
            site.seed_texts[src.id] = _normalise(path.read_text("utf-8"))
    found = site.seed_texts[src.id]
    if not found:
        return None
    norm, lines = found
    needle, _ = _normalise(phrase)
    i = norm.find(needle)
    return lines[i] if i >= 0 else None


def citation_item(site: Site, c) -> str:
    src = site.rs.sources.get(c.ref)
    text = site.source_link(c.ref)
    if c.at:
        text += f", {esc(c.at)}"
    if c.quote:
        text += f": “{esc(c.quote)}”"
    if src is not None:
        text += f" (source status {lit(src.status)}"
        if src.kind == "seed":
            found = sorted({n for p in quoted_phrases(c) if (n := find_in_seed(site, src, p))})
            site.seed_lines[src.id].update(found)
            if found:
                text += ", quoted at line " + ", ".join(map(str, found))
        text += ")"
    return text


# --- which scenarios and personas touch which rules ----------------------------------------------------
def answer_rule_ids(rs, answer) -> set[str]:
    ids = {r.rule for r in answer.explanation}
    for q in answer.open_questions:
        ids.update(q["rule"].split(","))
    for ob in answer.obligations:
        ids.update((ob.rule, ob.requirement))
    return {i for i in ids if i in rs.by_id}


def change_dates(rs) -> list[date]:
    days = set()
    for r in rs.rules:
        if r.valid_from:
            days.add(r.valid_from)
        if r.valid_to:
            days.add(r.valid_to + timedelta(days=1))
    return sorted(days)


def compute_exercised(site: Site) -> None:
    from reform_rules.basics.errors import ReformError
    from reform_rules.answer.scenarios import load_scenario
    base, rs = site.base, site.rs
    scen_root = site.root / "scenarios"
    files = sorted(p for p in scen_root.rglob("*.yaml") if "examples" not in p.relative_to(scen_root).parts)
    for f in files:
        try:
            sc = load_scenario(f, base, root=scen_root)
        except ReformError as exc:
            site.scenario_problems += [site.rel(f) + ": " + m.split(": ", 1)[-1] for m in exc.messages[:1]]
            continue
        for exp in sc.expectations:
            # a timeline expectation exercises the rules of every period it pins down
            days = [p["from"] for p in exp.periods] if hasattr(exp, "periods") else [exp.date]
            for day in days:
                try:
                    answer = base.evaluate(sc.citizen, date.fromisoformat(day), lang="en")
                except ReformError:
                    continue
                for rid in answer_rule_ids(rs, answer):
                    site.hits[rid].setdefault(site.rel(f), []).append(day)
    changes = change_dates(rs)
    for f in sorted((scen_root / "examples").glob("*.yaml")):
        try:
            citizen = base.load_citizen(f)
        except ReformError as exc:
            site.scenario_problems += [site.rel(f) + ": " + exc.messages[0].split(": ", 1)[-1]]
            continue
        days = set(changes)
        for s in citizen.spells:
            days.add(s.start)
            if s.end:
                days.add(s.end + timedelta(days=1))
        for day in sorted(days):
            if any(citizen.get(f.id) and day < citizen.get(f.id) for f in rs.vocabulary.facts if f.spells_not_before):
                continue
            try:
                answer = base.evaluate(citizen, day, lang="en")
            except ReformError:
                continue
            for rid in answer_rule_ids(rs, answer):
                site.persona_hits[rid].setdefault(site.rel(f), []).append(day.isoformat())


def exercised_items(site: Site, rule_id: str) -> list[str]:
    """One item per folder: the scenario files (or personas) whose answers use the rule, with their dates."""
    def fmt(path: str, days: list[str]) -> str:
        name = path.rsplit("/", 1)[-1]
        return f"{lit(name)} ({', '.join(days)})" if len(days) <= 2 else f"{lit(name)} ({len(days)} dates)"
    items = []
    for hits, what in ((site.hits, "scenarios"), (site.persona_hits, "personas")):
        folders: dict[str, list[str]] = defaultdict(list)
        for path, days in sorted(hits.get(rule_id, {}).items()):
            folders[path.rsplit("/", 1)[0] + "/"].append(fmt(path, days))
        for folder, files in folders.items():
            items.append(f"{what} in {lit(folder)}: " + ", ".join(files))
    return items


# --- pages ---------------------------------------------------------------------------------------------
def subject_pages(site: Site, out: Output) -> None:
    rs = site.rs
    overridden_by: dict[str, list[str]] = defaultdict(list)
    for r in rs.rules:
        for t in r.overrides:
            overridden_by[t].append(r.id)
    index = heading("Rule catalogue", "=") + [
        "Every rule in ``rules/``, one page per subject (rules file), generated from the rule files each time",
        "the documentation is built. Each entry gives the rule's id, its Danish and English title, when it is",
        "valid, how sure it is (its status), its sources, what it overrides, its conditions, what it decides",
        "and the scenario files and personas whose answers involve it.",
        "",
    ]
    rows = []
    for subject, file, title in rs.subjects:
        rules = [r for r in rs.rules if r.subject == subject]
        counts = defaultdict(int)
        for r in rules:
            counts[r.status] += 1
        rows.append([f":doc:`{subject}`", lit(site.rel(file)), str(len(rules)),
                     ", ".join(f"{s} {counts[s]}" for s in ("law", "guidance", "bill", "agreement", "provisional")
                               if counts[s])])
        out.write(f"rules/{subject}.rst", "\n".join(subject_page(site, subject, file, title, rules,
                                                                 overridden_by)) + "\n")
    index += list_table(["Subject", "File", "Rules", "By status"], rows, [20, 35, 10, 35])
    from reform_rules.answer.explain import STATUS
    from reform_rules.law.model import STATUS_ORDER
    index += heading("Status: how sure a rule is", "-") + [
        "From strongest to weakest; an answer reports the weakest status among the rules it used.", ""]
    index += list_table(["Status", "Dansk", "English", "Rules"],
                        [[lit(s), esc(STATUS[s]["da"]), esc(STATUS[s]["en"]),
                          str(sum(r.status == s for r in rs.rules))] for s in STATUS_ORDER], [20, 30, 30, 20])
    index += [".. toctree::", "   :maxdepth: 1", ""] + [f"   {s}" for s, _, _ in rs.subjects] + [""]
    out.write("rules/index.rst", "\n".join(index) + "\n")


def subject_page(site: Site, subject: str, file: str, title: dict | None, rules, overridden_by) -> list[str]:
    en = title["en"] if title else subject
    da = title["da"] if title else ""
    lines = [f".. _subject-{subject}:", ""] + heading(f"{en} ({subject})", "=")
    lines += field_list([("Dansk", esc(da) if da else "—"), ("File", lit(site.rel(file))),
                         ("Rules", str(len(rules)))])
    lines += list_table(["Rule", "Title", "Valid", "Status"],
                        [[site.rule_link(r.id), esc(r.title["en"]), esc(validity(r)), lit(r.status)] for r in rules],
                        [28, 47, 15, 10])
    for r in rules:
        lines += [f".. _rule-{r.id}:", ""] + heading(r.id, "-")
        fields: list[tuple[str, Any]] = [("Dansk", esc(r.title["da"])), ("English", esc(r.title["en"])),
                                         ("Valid", esc(validity(r))), ("Status", status_text(r.status))]
        if r.reason:
            fields += [("Reason (da)", esc(r.reason["da"])), ("Reason (en)", esc(r.reason["en"]))]
        if r.question:
            fields += [("Question (da)", esc(r.question["da"])), ("Question (en)", esc(r.question["en"]))]
        fields.append(("Sources", [citation_item(site, c) for c in r.source]))
        if r.overrides:
            verb = "Waives" if r.effect == "waive" else "Overrides"
            fields.append((verb, ", ".join(site.rule_link(t) for t in r.overrides)))
        if overridden_by.get(r.id):
            fields.append(("Overridden by", ", ".join(site.rule_link(t) for t in overridden_by[r.id])))
        fields.append(("Conditions", conditions(site, r.condition.data())))
        fields.append(("Decides", decides(site, r)))
        exercised = exercised_items(site, r.id)
        fields.append(("Exercised by", exercised if exercised else "no scenario file or persona answer uses it yet"))
        fields.append(("Defined in", f"{lit(site.rel(r.file))}, line {r.line}"))
        lines += field_list(fields)
    return lines


def sources_page(site: Site, out: Output) -> None:
    rs = site.rs
    cited: dict[str, list[str]] = defaultdict(list)
    for r in rs.rules:
        for c in r.source:
            if r.id not in cited[c.ref]:
                cited[c.ref].append(r.id)
    for p in rs.parameters:
        for c in p.source:
            cited[c.ref].append(f"parameter:{p.id}")
    from reform_rules.answer.explain import STATUS, source_name, source_url
    lines = heading("Sources", "=") + [
        "The source registry (``rules/sources.yaml``): every document a rule cites, once. A rule's citation",
        "names its source by the name below and adds where in it (``at``) and, sometimes, a quote. The seed",
        "documents are copied into the project: their text is on the :doc:`seeds/index` pages (and the web",
        "app serves it at ``/sources/<id>``).", ""]
    for s in rs.sources.values():
        lines += [f".. _source-{s.id}:", ""] + heading(f"{s.id}: {source_name(s)}", "-")
        users = cited.get(s.id, [])
        rules = [site.rule_link(u) for u in users if not u.startswith("parameter:")]
        params = [ref("param-" + u.split(":", 1)[1], u.split(":", 1)[1]) for u in users if u.startswith("parameter:")]
        fields = [("Title", esc(s.title)), ("Kind", lit(s.kind)),
                  ("Status", f"{lit(s.status)}: {esc(STATUS.get(s.status, {}).get('en', s.status))}"),
                  ("Date", str(s.date) if s.date else "not dated")]
        if source_url(s):
            fields.append(("Address", extlink(source_url(s), source_url(s))))
        if s.kind == "seed":
            fields.append(("Text", ref(f"seed-text-{s.id}", "the document's text (the copy in the project)")))
        else:
            fields.append(("Reference", esc(s.where)))
        if s.note:
            fields.append(("Note", esc(s.note)))
        fields.append(("Cited by", ", ".join(rules + params) if users else "no rule"))
        lines += field_list(fields)
    out.write("sources.rst", "\n".join(lines) + "\n")


def seed_pages(site: Site, out: Output) -> None:
    rs = site.rs
    seeds = [s for s in rs.sources.values() if s.kind == "seed"]
    citing: dict[str, list[str]] = defaultdict(list)
    for r in rs.rules:
        for c in r.source:
            if r.id not in citing[c.ref]:
                citing[c.ref].append(r.id)
    from reform_rules.answer.explain import source_name
    index = heading("Seed documents", "=") + [
        "The Danish source documents the project was founded on, cited by their titles. Each page shows the",
        "text of the copy kept in the project, with the lines the rules quote highlighted (the web app serves",
        "the same text at ``/sources/<id>``).", ""]
    rows = []
    for s in seeds:
        path = seed_file(site, s)
        rows.append([ref(f"seed-text-{s.id}", s.id), esc(source_name(s)), str(s.date or "—"),
                     lit(s.status), str(len(citing.get(s.id, [])))])
        if not path.is_file():
            logger.warning(f"reformdocs: source {s.id} is a seed, but its copy {site.rel(path)} does not exist")
            continue
        rel = Path("../" * 2) / ".." / path.relative_to(site.root)  # from docs/generated/seeds/
        lines = [f".. _seed-text-{s.id}:", ""] + heading(f"{s.id}: {source_name(s)}", "=")
        quoted = sorted(site.seed_lines.get(s.id, ()))
        lines += field_list([
            ("Title", esc(s.title)),
            ("Date", str(s.date) if s.date else "not dated"),
            ("Text", f":download:`the copy as plain text <{rel.as_posix()}>` (text extracted from the PDF)"),
            ("Source entry", ref(f"source-{s.id}", s.id)),
            ("Status", lit(s.status)),
            ("Cited by", ", ".join(site.rule_link(r) for r in citing.get(s.id, [])) or "no rule"),
            ("Quoted lines", ", ".join(map(str, quoted)) + " (highlighted below)" if quoted else "none found"),
        ])
        lines += [f".. literalinclude:: {rel.as_posix()}", "   :language: text", "   :linenos:"]
        if quoted:
            lines.append("   :emphasize-lines: " + ",".join(map(str, quoted)))
        lines.append("")
        out.write(f"seeds/{s.id}.rst", "\n".join(lines) + "\n")
    index += list_table(["Seed", "Cited as", "Date", "Status", "Citing rules"], rows, [10, 52, 14, 12, 12])
    index += [".. toctree::", "   :maxdepth: 1", "   :hidden:", ""] + \
        [f"   {s.id}" for s in seeds if seed_file(site, s).is_file()] + [""]
    out.write("seeds/index.rst", "\n".join(index) + "\n")


def vocab_tables(v) -> dict[str, str]:
    """Condition key → the value table it names (a spell kind's values, a choice fact's table)."""
    out = {k.kind: k.values for k in v.spell_kinds}
    out.update({f.id: f.values for f in (*v.facts, *(f for k in v.spell_kinds for f in k.facts))
                if f.type == "choice" and f.values})
    return out


def vocabulary_page(site: Site, out: Output) -> None:
    """The citizen's facts and the value tables, from the vocabulary's declaration (``rules/vocabulary.yaml``)."""
    v = site.rs.vocabulary
    keys = vocab_tables(v)
    used: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in site.rs.rules:
        for test in r.condition.walk():
            if test.key not in keys:
                continue
            for value in (getattr(test, "values", None) or ()) + (getattr(test, "not_in", None) or ()):
                if r.id not in used[(test.key, value)]:
                    used[(test.key, value)].append(r.id)
    lines = heading("Vocabulary", "=") + [
        "The facts a citizen file, a CSV row, the web form and the API may give, and the values they take, "
        "as ``rules/vocabulary.yaml`` declares them. Rule conditions test these facts (and the measures of "
        "their dates).", ""]
    lines += [".. _vocab-facts:", ""] + heading("The citizen's facts", "-")
    rows = []

    def fact_row(f, where: str) -> list[str]:
        kind = f.type + (f" of {ref('vocab-' + f.values, f.values)}" if f.values else "") + \
            (f" ({f.minimum}–{f.maximum})" if f.type == "integer" else "")
        default = lit(str(f.default).lower() if isinstance(f.default, bool) else f.default) if f.default is not None \
            else (f"its ``{f.default_of}``" if f.default_of else "not known")
        notes = []
        if f.only_with:
            notes.append("only with " + ", ".join(lit(x) for x in f.only_with))
        if f.measures:
            notes.append("rules compare " + ", ".join(f"{lit(m.id)} ({m.kind.replace('_', ' ')})" for m in f.measures))
        return [lit(f.id), where, kind, default, esc(f.label["da"]), esc(f.label["en"]),
                esc(f.help.get("en", "")) + ("; " if f.help and notes else "") + "; ".join(notes)]
    for f in v.facts:
        rows.append(fact_row(f, "citizen"))
    for k in v.spell_kinds:
        rows.append([lit(k.kind), f"{k.kind} spell", f"choice of {ref('vocab-' + k.values, k.values)}", "—",
                     esc(k.label["da"]), esc(k.label["en"]),
                     "rules compare " + ", ".join(f"{lit(m.id)} ({m.kind.replace('_', ' ')} its ``{m.of}``)"
                                                  for m in k.measures) if k.measures else ""])
        for f in k.facts:
            rows.append(fact_row(f, f"{k.kind} spell"))
    lines += list_table(["Fact", "On", "Type", "When not given", "Dansk", "English", "Notes"], rows,
                        [14, 10, 14, 10, 16, 16, 20])
    for name, table in v.tables.items():
        key = next((k for k, t in keys.items() if t == name), None)
        title = (table.title or {}).get("en") or name.replace("_", " ").capitalize()
        lines += [f".. _vocab-{name}:", ""] + heading(title, "-")
        rows = []
        for term in table.terms.values():
            users = used.get((key, term.id), []) if key else []
            rows.append([lit(term.id), esc(term.title["da"]), esc(term.title["en"]),
                         esc(", ".join(term.aliases)) if term.aliases else "",
                         ", ".join(site.rule_link(u) for u in users)])
        lines += list_table(["Id", "Dansk", "English", "Older names", "Conditions that use it"], rows,
                            [16, 20, 24, 12, 28])
    lines += [f"A citizen with no {v.current.kind} spell on the date has the {v.current.kind} {lit(v.current_none)}.", ""]
    out.write("vocabulary.rst", "\n".join(lines) + "\n")


def parameters_page(site: Site, out: Output) -> None:
    lines = heading("Municipality parameters", "=") + [
        "Dated figures for the municipality, not for one citizen (``rules/parameters.yaml``); "
        "``reform parameters --date D`` answers them.", ""]
    for p in site.rs.parameters:
        lines += [f".. _param-{p.id}:", ""] + heading(p.id, "-")
        values = []
        for start, end, value in p.values:
            shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            values.append(f"{start} – {end or '…'}: {esc(shown)}{(' ' + esc(p.unit)) if p.unit else ''}")
        fields = [("Dansk", esc(p.title["da"])), ("English", esc(p.title["en"])), ("Status", status_text(p.status)),
                  ("Values", values)]
        if p.reason:
            fields.append(("Reason (en)", esc(p.reason["en"])))
        fields.append(("Sources", [citation_item(site, c) for c in p.source]))
        fields.append(("Defined in", f"{lit(site.rel(p.file))}, line {p.line}"))
        lines += field_list(fields)
    out.write("parameters.rst", "\n".join(lines) + "\n")


def open_questions_page(site: Site, out: Output) -> None:
    rs = site.rs
    undetermined = [r for r in rs.rules if r.undetermined]
    provisional = [r for r in rs.rules if r.status == "provisional"]
    lines = heading("Open questions", "=") + [
        "Where the sources are silent or partial the rules say so instead of guessing: a rule either answers",
        "**undetermined** and names its open question, or gives our best reading with ``status: provisional``",
        "and the reason. Both lists are generated from the rules; when legal staff settle a question, the rule",
        "changes and it leaves this page.", "",
        f"{len(undetermined)} rules answer undetermined; {len(provisional)} rules are provisional readings.", ""]
    lines += heading(f"Undetermined answers ({len(undetermined)})", "-")
    for r in undetermined:
        lines += [f"{site.rule_link(r.id)} ({ref('subject-' + r.subject, r.subject)}; {esc(validity(r))}; "
                  f"{lit(r.status)})", ""]
        lines += indent(field_list([(gettext("Question", "da"), esc(r.question["da"]) if r.question else "—"),
                                    ("Question", esc(r.question["en"]) if r.question else "—"),
                                    ("Decides", decides(site, r))]), 3)
    lines += heading(f"Provisional readings ({len(provisional)})", "-")
    for r in provisional:
        lines += [f"{site.rule_link(r.id)} ({ref('subject-' + r.subject, r.subject)}; {esc(validity(r))})", ""]
        lines += indent(field_list([(gettext("Reason", "da"), esc(r.reason["da"]) if r.reason else "—"),
                                    ("Reason", esc(r.reason["en"]) if r.reason else "—"),
                                    ("Title", esc(r.title["en"]))]), 3)
    out.write("open-questions.rst", "\n".join(lines) + "\n")


# --- the timeline ----------------------------------------------------------------------------------------
def short_label(site: Site, rule) -> str:
    v = rule.then_value
    if rule.undetermined:
        return f"{rule.id} (undetermined)"
    if rule.then_kind in ("phase", "target_group", "trial") and isinstance(v, dict) and "name" in v:
        return name_of(v)
    if rule.then_kind == "programme" and isinstance(v, dict):
        return f"{site.programme_title(v['id'])}: {v['status']}"
    return rule.id


def timeline(site: Site, out: Output) -> None:
    rs = site.rs
    days = change_dates(rs)
    if not days:
        return
    axis_start = date(days[0].year, 1, 1)
    last = days[-1]
    axis_end = last if (last.month, last.day) == (1, 1) else date(last.year + 1, 1, 1)
    phases = []
    for r in sorted(rs.in_family("phase"), key=lambda r: r.valid_from or date.min):
        v = r.then_value
        phases.append(pictures.Phase(v["id"], name_of(v), r.valid_from, r.valid_to))
    titles = {s: (t or {}).get("en", s) for s, _, t in rs.subjects}
    order = [s for s, _, _ in rs.subjects]
    boxes = []
    lines = heading("The reform timeline", "=") + [
        "The phases are the rules in ``rules/phases.yaml``; the dates are every date on which a rule starts or",
        "stops (the day after its last day); under each date, the rules that start on it, by subject. Picture",
        "and table are generated from the rules.", "",
        ".. image:: timeline.svg", "   :alt: The phases of the reform along 2025–2029 and what each date brings",
        "   :class: reform-picture", ""]
    for day in days:
        starting = [r for r in rs.rules if r.valid_from == day]
        ending = [r for r in rs.rules if r.valid_to and r.valid_to + timedelta(days=1) == day]
        phase = next((p.id for p in phases if p.start == day), "")
        by_subject = [(titles[s], [short_label(site, r) for r in starting if r.subject == s]) for s in order]
        end_by_subject = [(titles[s], [short_label(site, r) for r in ending if r.subject == s]) for s in order]
        box = pictures.DateBox(day, f"{phase} begins" if phase else "", [g for g in by_subject if g[1]])
        last_day = day - timedelta(days=1)
        if ending and not starting:
            box.ending = [g for g in end_by_subject if g[1]]
            box.ending_note = f"Ends (last day {last_day}):"
        elif ending:
            box.ending_note = f"+ {len(ending)} rules end on {last_day}"
        boxes.append(box)
        lines += [f".. _timeline-{day}:", ""] + heading(f"{day}" + (f": {phase} begins" if phase else ""), "-")
        rows = []
        for s in order:
            st = [site.rule_link(r.id) + f" ({esc(short_label(site, r))})" for r in starting if r.subject == s]
            en = [site.rule_link(r.id) for r in ending if r.subject == s]
            if st or en:
                rows.append([ref(f"subject-{s}", titles[s]), "; ".join(st), ", ".join(en)])
        lines += list_table(["Subject", f"Starts on {day}", f"Ended on {last_day}"], rows, [18, 57, 25])
    out.write("timeline.svg", pictures.timeline_svg(phases, boxes, axis_start, axis_end))
    out.write("timeline.rst", "\n".join(lines) + "\n")


# --- the 13 → 5 mapping ----------------------------------------------------------------------------------
class Unsupported(Exception):
    pass


def _branches(when: dict) -> list[dict]:
    base = {k: v for k, v in when.items() if k != "any_of"}
    if "any_of" not in when:
        return [base]
    out = []
    for alt in when["any_of"]:
        for expanded in _branches(alt):
            merged = dict(base)
            merged.update(expanded)
            out.append(merged)
    return out


def _pick_id(test: Any, table: Iterable[str]) -> str | None:
    table = list(table)
    if isinstance(test, str):
        return test
    if isinstance(test, list):
        return test[0]
    if test.get("known") is False:
        return None
    if test.get("in"):
        return test["in"][0]
    excluded = set(test.get("not_in", []))
    return next(v for v in table if v not in excluded)


def _pick_number(test: dict) -> int | None:
    """A number that passes every comparison of ``test`` (None: the number is to be left out)."""
    if test.get("known") is False:
        return None
    lows = ([test["at_least"]] if "at_least" in test else []) + ([test["over"] + 1] if "over" in test else [])
    highs = ([test["under"] - 1] if "under" in test else []) + ([test["at_most"]] if "at_most" in test else [])
    lo, hi = (max(lows) if lows else None), (min(highs) if highs else None)
    if lo is not None and hi is not None:
        return (lo + hi) // 2
    if lo is not None:
        return lo + 5
    if hi is not None:
        return max(hi - 2, 0)
    return 40


def _pick_date(test: dict, default: date) -> date:
    if "on_or_after" in test:
        return date.fromisoformat(str(test["on_or_after"]))
    if "before" in test:
        return date.fromisoformat(str(test["before"])) - timedelta(days=31)
    return default


def citizen_for(site: Site, branch: dict, day: date, name: str) -> dict:
    """A citizen record that meets every condition of ``branch`` on ``day`` (and the day after the cut),
    built from the vocabulary's declaration: each fact by its type, each measure by the date it counts from."""
    from reform_rules.basics import dates
    v = site.rs.vocabulary
    cur = v.current
    paid_by = {t.id: list(t.paid_by) for k in v.beside for t in v.table(k.values).terms.values()}
    data: dict[str, Any] = {"id": name, "spells": []}
    spell: dict[str, Any] = {}
    current = None
    beside: dict[str, Any] = {}          # beside kind → value
    beside_dates: dict[str, dict[str, date]] = defaultdict(dict)
    origin: dict[str, date] = {"from": day - timedelta(days=60)}   # the current spell's dates
    citizen_dates: dict[str, date] = {}
    needs: list[str] = []                # current values a spell fact goes with
    for key, test in branch.items():
        if key == "target_group":
            raise Unsupported(key)
        found = v.condition_kind(key)
        if found is None:
            raise Unsupported(key)
        what, decl = found
        if what == "current":
            current = _pick_id(test, v.table(cur.values)) or "__none__"
        elif what == "beside":
            beside[key] = _pick_id(test, v.table(decl.values)) or "__none__"
        elif what == "beside-measure":
            measure, kind = decl
            beside_dates[kind.kind][measure.of] = _pick_date(test, day - timedelta(days=90))
        elif what == "measure":
            measure, owner = decl
            if measure.is_date:
                (origin if owner != "citizen" else citizen_dates)[measure.of] = _pick_date(test, day - timedelta(days=60))
                continue
            n = _pick_number(test)
            if n is None:
                if owner == "citizen":
                    citizen_dates[measure.of] = None
                continue
            back = {"years_since": lambda k: date(day.year - k - 1, 6, 15) if k else day - timedelta(days=100),
                    "months_since": lambda k: dates.add_months(day, -k) - timedelta(days=5),
                    "weeks_since": lambda k: day - timedelta(days=7 * k + 3)}[measure.kind](n)
            target = citizen_dates if owner == "citizen" else origin
            if measure.of not in target or owner == "citizen":
                target[measure.of] = back
        else:   # a fact of the citizen or of the current spell
            fact = decl
            value: Any
            if fact.type == "bool":
                value = test if isinstance(test, bool) else None
            elif fact.type == "integer":
                value = _pick_number(test)
            else:
                value = _pick_id(test, v.table(fact.values or ""))
            if fact.on == "citizen":
                if value is not None:
                    data[fact.id] = value
            else:
                if value is not None:
                    spell[fact.id] = value
                needs += list(fact.only_with[:1])
    if current is None and needs:
        current = needs[0]
    for kind, value in beside.items():
        if value != "__none__" and current is None:
            payers = [b for b in paid_by.get(value, []) if b != cur.none]
            current = payers[0] if payers else None
    for fact in v.facts:
        for m in fact.measures:
            if fact.id not in citizen_dates and m.kind == "years_since":
                citizen_dates[fact.id] = date(day.year - 41, 6, 15)   # a citizen of 40 unless a rule says otherwise
    for key, when in citizen_dates.items():
        if when is not None:
            data[key] = when.isoformat()
    bound = min((d for f in v.facts if f.spells_not_before and (d := citizen_dates.get(f.id))), default=None)
    if current and current not in ("__none__", cur.none):
        start = max(origin["from"], bound) if bound else origin["from"]
        data["spells"].append({cur.kind: current, "from": start.isoformat(), **spell,
                               **{k: d.isoformat() for k, d in origin.items() if k != "from"}})
    for kind, value in beside.items():
        if value == "__none__":
            continue
        own = beside_dates.get(kind, {})
        start = own.get("from", day - timedelta(days=90))
        start = max(start, bound) if bound else start
        data["spells"].append({kind: value, "from": start.isoformat(),
                               **{k: d.isoformat() for k, d in own.items() if k != "from"}})
    return data


@dataclass
class Landing:
    rule: Any
    branch: dict
    group: str                  # the old group
    citizen: dict
    after: str                  # new group id, "__old__" or "__undetermined__"
    after_group: str | None     # the group id on the day after (new or old), None if undetermined
    decided_by: list[str]


def mapping(site: Site, out: Output) -> None:
    from reform_rules.basics.errors import ReformError
    rs, base = site.rs, site.base
    groups = [r for r in rs.rules if r.then_kind == "target_group" and isinstance(r.then_value, dict)]
    new_rules = [r for r in groups if r.then_value.get("structure") == "new-5"]
    if not new_rules or not any(r.valid_from for r in new_rules):
        logger.warning("reformdocs: no new-5 target-group rules with a start date; the 13 → 5 mapping is skipped")
        return
    cut = min(r.valid_from for r in new_rules if r.valid_from)
    before, after = cut - timedelta(days=1), cut + timedelta(days=1)
    old_rules = [r for r in groups if r.then_value.get("structure") == "old-13" and r.valid_on(before)]
    landings: list[Landing] = []
    for r in old_rules:
        group = r.then_value["id"]
        when = r.condition.data()
        for i, branch in enumerate(_branches(when)):
            label = f"{r.id} (branch {i + 1})" if "any_of" in when else r.id
            try:
                data = citizen_for(site, branch, before, f"mapping-{r.id}-{i + 1}")
                citizen = base.parse_citizen(data, label)
                a = base.evaluate(citizen, before, lang="en")
                b = base.evaluate(citizen, after, lang="en")
            except Unsupported as exc:
                logger.warning(f"reformdocs: 13 → 5 mapping: cannot build a citizen for {label}: condition "
                               f"'{exc}' (teach citizen_for in docs/_ext/reformdocs.py)")
                continue
            except ReformError as exc:
                logger.warning(f"reformdocs: 13 → 5 mapping: the citizen built for {label} is refused: "
                               f"{'; '.join(exc.messages)}")
                continue
            got = (a.target_group or {}).get("id")
            used = {x.rule for x in a.explanation}
            if got != group or r.id not in used:
                logger.warning(f"reformdocs: 13 → 5 mapping: a citizen built from the conditions of {label} lands "
                               f"in {got or 'no target group'} on {before}, not in {group} by {r.id}: {data}")
                continue
            tg = b.target_group
            decided = [x.rule for x in b.explanation if x.rule in rs.by_id and
                       rs.rule(x.rule).family == "target_group"]
            if tg is None:
                dest, dest_group = "__undetermined__", None
            elif tg["structure"] == "new-5":
                dest, dest_group = tg["id"], tg["id"]
            else:
                dest, dest_group = "__old__", tg["id"]
            landings.append(Landing(r, branch, group, data, dest, dest_group, decided))
    old_groups: list[str] = []
    for r in old_rules:
        if r.then_value["id"] not in old_groups:
            old_groups.append(r.then_value["id"])
    missing = [g for g in old_groups if not any(x.group == g for x in landings)]
    for g in missing:
        logger.warning(f"reformdocs: 13 → 5 mapping: no citizen lands in {g} on {before}")
    names = {}
    for r in groups:
        names.setdefault(r.then_value["id"], {"da": name_of(r.then_value, "da"), "en": name_of(r.then_value)})
    new_groups: list[str] = []
    for r in new_rules:
        if r.then_value["id"] not in new_groups:
            new_groups.append(r.then_value["id"])
    # picture
    left = [pictures.Node(g, names[g]["en"], g) for g in old_groups]
    right = [pictures.Node(g, names[g]["en"], f"{g} ({names[g]['da']})") for g in new_groups]
    stay = sorted({x.after_group for x in landings if x.after == "__old__"})
    if stay:
        right.append(pictures.Node("__old__", "Old rules continue (grandfathered)",
                                   "stays in " + ", ".join(stay), dashed=True))
    open_rules = sorted({d for x in landings if x.after == "__undetermined__" for d in x.decided_by})
    if any(x.after == "__undetermined__" for x in landings):
        right.append(pictures.Node("__undetermined__", "Undetermined: an open question",
                                   ", ".join(open_rules) or "no rule decides", dashed=True))
    edges, seen = [], set()
    for x in landings:
        if (x.group, x.after) in seen:
            continue
        seen.add((x.group, x.after))
        label = " and ".join(_plain_condition(k, v) for k, v in x.branch.items()
                             if not all(k in o.branch and o.branch[k] == v for o in landings if o.group == x.group))
        edges.append(pictures.Edge(x.group, x.after, label[:60]))
    out.write("mapping.svg", pictures.mapping_svg(
        left, right, edges, f"Before: the 13 target groups (LAB § 6), on {before}",
        f"From {cut}: the new target groups, on {after}"))
    # page
    lines = heading("From 13 to 5 target groups", "=") + [
        f"On {cut} the 13 target groups of LAB § 6 give way to the new target-group structure. This page is",
        "derived from the rules, not drawn by hand: for every rule that decides one of the old groups (and for",
        "each alternative of its ``any_of``), the documentation build makes a citizen who meets exactly those",
        f"conditions, checks that the rules put that citizen in the old group on {before} (the build fails",
        f"otherwise), and then asks which group the same citizen is in on {after}.", "",
        ".. image:: mapping.svg", "   :alt: The 13 old target groups on the left, the new ones on the right, "
        "and lines between them", "   :class: reform-picture", ""]
    lines += heading("Old group → new group", "-")
    summary = []
    for g in old_groups:
        dests = []
        for x in landings:
            if x.group != g:
                continue
            if x.after == "__undetermined__":
                text = "undetermined (" + ", ".join(site.rule_link(d) for d in x.decided_by) + ")"
            elif x.after == "__old__":
                text = f"stays in {site.group_link(x.after_group)}: the old rules continue while the forløb runs"
            else:
                text = f"{site.group_link(x.after)} ({esc(names[x.after]['da'])})"
            if text not in dests:
                dests.append(text)
        summary.append([f"{site.group_link(g)}", esc(names[g]["da"]), "; ".join(dests)])
    lines += list_table(["Old group", "Dansk", f"On {after}"], summary, [30, 30, 40])
    lines += heading("Every citizen the build made", "-") + [
        "One row per rule and alternative: the conditions the citizen was built from, the citizen, and the rule",
        f"that decides the group on {after}.", ""]
    rows = []
    for x in landings:
        spells = "; ".join(", ".join(f"{k}: {json.dumps(v) if isinstance(v, bool) else v}" for k, v in s.items())
                           for s in x.citizen["spells"]) or "no spells"
        facts = ", ".join(f"{k}: {json.dumps(v) if isinstance(v, bool) else v}" for k, v in x.citizen.items()
                          if k not in ("id", "spells"))
        dest = "undetermined" if x.after == "__undetermined__" else (x.after_group or x.after)
        rows.append([site.rule_link(x.rule.id), branch_text(site, x.branch), esc(f"{facts}; {spells}"),
                     site.group_link(dest) if dest != "undetermined" else "undetermined",
                     ", ".join(site.rule_link(d) for d in x.decided_by) or "—"])
    lines += list_table(["Old rule", "Conditions", "Citizen", f"Group on {after}", "Decided by"], rows,
                        [18, 30, 24, 13, 15])
    out.write("mapping.rst", "\n".join(lines) + "\n")


def _plain_condition(key: str, test: Any) -> str:
    if isinstance(test, dict):
        return f"{key} " + ", ".join(f"{k} {v}" for k, v in test.items())
    if isinstance(test, list):
        return f"{key} " + "/".join(map(str, test))
    return f"{key} {test}"


# --- commands ---------------------------------------------------------------------------------------------
def command_fragments(results: list, out: Output) -> None:
    rows = []
    for res in results:
        c = res.command
        if res.error:
            logger.warning(f"reformdocs: command {c.id}: {res.error}")
        elif res.exit != c.exit:
            tail = (res.stderr or res.stdout).strip().splitlines()[-3:]
            logger.warning(f"reformdocs: command {c.id} ({c.shown}) exited {res.exit}, the guide declares "
                           f"{c.exit}: {' | '.join(tail)}")
        body = [c.shown] + (res.output.splitlines() if not res.error else [f"[could not run: {res.error}]"])
        lines = [".. code-block:: console", ""] + indent(body, 3) + [""]
        lines += [".. rst-class:: command-exit", "", f"exit code {res.exit}"
                  + ("" if res.exit == c.exit else f" (expected {c.exit})"), ""]
        out.write(f"commands/{c.id}.inc", "\n".join(lines) + "\n")
        if c.edits:
            diff = res.diff.rstrip("\n").splitlines() or ["(no change)"]
            out.write(f"commands/{c.id}.diff.inc", "\n".join([".. code-block:: diff", ""] + indent(diff, 3) + [""])
                      + "\n")
        rows.append([lit(c.id), lit(c.shown[2:]), c.guide, str(c.exit),
                     "scratch copy with edits" if c.edits else "project root"])
    table = list_table(["Id", "Command", "Guide", "Exit", "Runs in"], rows, [18, 52, 10, 6, 14])
    out.write("command-list.inc", "\n".join(table) + "\n")


# --- fragments for the guides ---------------------------------------------------------------------
def _condition_uses(when: dict) -> Iterable[tuple[str, Any]]:
    for key, test in when.items():
        if key == "any_of":
            yield key, test
            for b in test:
                yield from _condition_uses(b)
        else:
            yield key, test


def conditions_fragment(site: Site, out: Output) -> None:
    """The kinds of condition the schema allows, with how many rules use each and an example in words."""
    v = site.rs.vocabulary
    props = {name: v.condition_kind(name) for name in v.condition_names()}
    rows = []
    for key in list(props) + ["target_group", "any_of"]:
        found = props.get(key)
        shape = "id-test" if key == "target_group" else (found[0] if found else "")
        if found and found[0] in ("measure", "beside-measure"):
            shape = "date-test" if found[1][0].is_date else "number-test"
        if key == "any_of":
            shape = "list of condition sets"
        users = [(r, test) for r in site.rs.rules for k, test in _condition_uses(r.condition.data()) if k == key]
        example = ""
        if users:
            r, test = users[0]
            example = f"{condition_text(site, key, test)} ({site.rule_link(r.id)})"
        rows.append([lit(key), lit(shape), str(len({r.id for r, _ in users})), example])
    out.write("conditions.inc", "\n".join(list_table(["Condition", "Shape (schema)", "Rules", "Example, in words"],
                                                      rows, [18, 14, 8, 60])) + "\n")


def coverage_fragment(site: Site, out: Output) -> None:
    """Rules no scenario file exercises (personas do not count): where a tester's next scenario goes."""
    missing = [r for r in site.rs.rules if r.id not in site.hits]
    lines = [f"{len(site.rs.rules) - len(missing)} of {len(site.rs.rules)} rules are exercised by a scenario file; "
             f"{len(missing)} are not" + (":" if missing else "."), ""]
    for r in missing:
        lines.append(f"- {site.rule_link(r.id)} ({ref('subject-' + r.subject, r.subject)}): {esc(r.title['en'])}")
    if site.scenario_problems:
        lines += ["", "Scenario files the build could not load (``reform scenarios`` says why):", ""]
        lines += [f"- {lit(p.split(':', 1)[0])}" for p in site.scenario_problems]
    out.write("coverage.inc", "\n".join(lines) + "\n")


# The stages of the package in the order data flows through them; each stage's modules alphabetically.
STAGES = ("basics", "law", "logic", "answer", "caseload", "web", "cli")
NOT_API = ("__init__", "__main__")


def api_fragment(root: Path, out: Output) -> None:
    """An ``automodule`` for every module of ``reform_rules/``, stage by stage (a new module is documented
    without an edit)."""
    package = root / "reform_rules"
    lines = []
    for stage in STAGES:
        lines += [f".. automodule:: reform_rules.{stage}", "   :no-members:", ""]
        for p in sorted((package / stage).glob("*.py")):
            if p.stem not in NOT_API:
                lines += [f".. automodule:: reform_rules.{stage}.{p.stem}", ""]
    out.write("api-modules.inc", "\n".join(lines) + "\n")


# Names the developer's guide points to: if one is renamed, the build says so (and -W fails it).
GUIDE_NAMES = (
    ("reform_rules.law.facts", "Vocabulary"), ("reform_rules.law.conditions", "parse_condition"), ("reform_rules.law.citizen", "parse_citizen"),
    ("reform_rules.law.citizen_schema", "citizen_schema"),
    ("reform_rules.logic.compiler", "compile_rules"), ("reform_rules.logic.compiler", "situation_facts"),
    ("reform_rules.law.citizen", "situation"), ("reform_rules.law.ruleset", "read_rules"), ("reform_rules.answer.rulebase", "RuleBase"),
    ("reform_rules.logic.kb", "KnowledgeBase"), ("reform_rules.answer.explain", "render_text"), ("reform_rules.law.loader", "load_file"),
    ("reform_rules.law.schema", "validate"),
)


def check_guide_names() -> None:
    import importlib
    for module, name in GUIDE_NAMES:
        try:
            ok = hasattr(importlib.import_module(module), name)
        except ImportError:
            ok = False
        if not ok:
            logger.warning(f"reformdocs: the developer's guide names {module}.{name}, which no longer exists "
                           "(update docs/guides/developer.rst and GUIDE_NAMES)")


# --- the hook ---------------------------------------------------------------------------------------------
def generate(app) -> None:
    started = time.perf_counter()
    srcdir = Path(app.srcdir)
    root = srcdir.parent
    out = Output(srcdir / "generated")
    pool = ThreadPoolExecutor(max_workers=3)
    cache, digest = srcdir / "_build" / ".command-cache", command_list.inputs_digest()
    futures = {c.id: pool.submit(command_list.run_cached, c, cache, digest)
               for c in command_list.slow_first(command_list.COMMANDS)}
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from reform_rules import RuleBase
    from reform_rules.basics.errors import ReformError
    try:
        base = RuleBase.load(root / "rules")
    except ReformError as exc:
        pool.shutdown(cancel_futures=True)
        raise ExtensionError("the rules do not load, so the docs cannot be generated:\n" +
                             "\n".join(exc.messages)) from None
    site = Site(root=root, base=base)
    compute_exercised(site)
    subject_pages(site, out)        # also finds the quoted lines of the seeds
    sources_page(site, out)
    parameters_page(site, out)
    seed_pages(site, out)
    vocabulary_page(site, out)
    open_questions_page(site, out)
    timeline(site, out)
    mapping(site, out)
    conditions_fragment(site, out)
    coverage_fragment(site, out)
    check_guide_names()
    api_fragment(root, out)
    out.write("architecture.svg", pictures.architecture_svg())
    if site.scenario_problems:
        logger.info("reformdocs: scenario files skipped: " + "; ".join(site.scenario_problems))
    results = [futures[c.id].result() for c in command_list.COMMANDS]
    pool.shutdown()
    command_fragments(results, out)
    out.finish()
    logger.info(f"reformdocs: generated from {len(base.ruleset.rules)} rules and {len(results)} commands "
                f"in {time.perf_counter() - started:.1f} s")


def setup(app):
    app.connect("builder-inited", generate)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
