"""Read a rules directory into a validated RuleSet — all or nothing.

Every file is loaded and schema-checked first; then the cross-references (ids, sources,
overrides, vocabulary) are checked. Any error anywhere means no RuleSet: a RuleFileError lists
every error found, each as ``file:line: field: message``.
"""
from __future__ import annotations

import errno
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from reform_rules.basics import dates
from reform_rules.basics.errors import RuleFileError
from reform_rules.law.answer_fields import AnswerShape, read_answer
from reform_rules.law.conditions import DERIVED, DateTest, NumberTest, parse_condition
from reform_rules.law.kept import kept_or_read
from reform_rules.law.loader import Document, LoadError, format_path, parse_text, read_text
from reform_rules.law.model import Citation, Parameter, Rule, RuleSet, Source, Vocabulary
from reform_rules.law.sanity import document_errors, text_errors
from reform_rules.law.schema import rules_validator, validate
from reform_rules.law.vocabulary import read_vocabulary

SPECIAL = {"sources": "sources", "vocabulary": "vocabulary", "parameters": "parameters", "values": "values",
           "answer": "answer-fields"}


RULE_SUFFIXES = (".yaml", ".yml")

# The most distinct thresholds (constants compared with) one fact may have across all the rules. Each one
# adds a band to every proof that reads the fact (reform_rules.logic.situations.MAX_CELLS bounds their
# product); the rules of the reform use at most 6. Past it the rule that adds one too many is refused.
MAX_THRESHOLDS = 50


def _entry_problem(path: Path) -> str | None:
    """Why the directory entry ``path``, named like a rule file, cannot be read as one (None: it can)."""
    if path.suffix not in RULE_SUFFIXES:
        return (f"the name ends in '{path.suffix}'; a rule file's name ends in lowercase .yaml or .yml "
                "(rename it, or move it out of the rules directory)")
    try:
        link = stat.S_ISLNK(path.lstat().st_mode)
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "a symbolic link to nothing (its target is missing)"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symbolic link that leads back to itself (a loop)"
        raise
    if stat.S_ISDIR(mode):
        return "a directory, not a rule file (rename it, or move it out of the rules directory)"
    if not stat.S_ISREG(mode):
        kind = "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a socket or device"
        return f"{kind}{' behind a symbolic link' if link else ''}, not a plain file"
    return None


def rule_entries(directory: Path) -> tuple[list[Path], list[str]]:
    """The rule files of ``directory`` (``*.yaml``, ``*.yml``; hidden names are not rule files), and an
    error for every entry named like one that is not a readable plain file (nothing is silently skipped)."""
    try:
        entries = sorted(directory.iterdir())
    except OSError as exc:
        raise RuleFileError(f"{directory}: cannot list the rules directory ({exc.strerror or exc})") from None
    files, errors = [], []
    for path in entries:
        if path.name.startswith(".") or path.suffix.lower() not in RULE_SUFFIXES:
            continue
        try:
            problem = _entry_problem(path)
        except OSError as exc:
            if isinstance(exc, PermissionError):
                raise RuleFileError(f"{directory}: cannot open the files in the rules directory "
                                    f"({exc.strerror}; it needs read and search permission)") from None
            problem = f"cannot read it ({exc.strerror or exc})"
        if problem:
            errors.append(f"{_label(path, directory)}:1: {problem}")
        else:
            files.append(path)
    return files, errors


def rule_files(directory: Path) -> list[Path]:
    """The rule files of ``directory``; RuleFileError when an entry named like one cannot be read."""
    files, errors = rule_entries(directory)
    if errors:
        raise RuleFileError(errors)
    return files


def rule_file_warnings(directory: str | Path) -> list[str]:
    """Entries ``reform check`` mentions but does not read: hidden files named like rule files."""
    try:
        return [f"{_label(p, Path(directory))}: a hidden file, not read as a rule file"
                for p in sorted(Path(directory).iterdir())
                if p.name.startswith(".") and p.suffix.lower() in RULE_SUFFIXES]
    except OSError:
        return []


def _label(path: Path, directory: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except (ValueError, OSError):
        return str(path)


def _rules_directory(directory: Path) -> None:
    """RuleFileError unless ``directory`` is a directory that can be opened."""
    try:
        is_dir = stat.S_ISDIR(directory.stat().st_mode)
    except FileNotFoundError:
        is_dir = False
    except OSError as exc:
        raise RuleFileError(f"{directory}: cannot open the rules directory ({exc.strerror or exc})") from None
    if not is_dir:
        raise RuleFileError(f"{directory}: not a directory of rule files")


def _is_special(doc: Document) -> bool:
    """Whether ``doc`` declares something other than rules (sources, vocabulary, values, …)."""
    subject = doc.data.get("subject")
    return isinstance(subject, str) and subject in SPECIAL


def _load_document(path: Path, label: str, errors: list[str]) -> Document | None:
    """One rule file, read, parsed and (unless it holds rules) schema-checked; None when it cannot be read."""
    try:
        text = read_text(path, label)
        errors.extend(text_errors(text, label))
        doc = parse_text(text, label)
    except LoadError as exc:
        errors.append(str(exc))
        return None
    if not isinstance(doc.data, dict):
        errors.append(f"{label}:1: (document): a rule file must be a mapping with 'subject' and 'rules'")
        return None
    if _is_special(doc):
        kind = SPECIAL[doc.data["subject"]]
        errors.extend(validate(doc, kind) or document_errors(doc, kind))
    return doc


def _answer_shape(docs: list[Document], directory: Path, errors: list[str]) -> AnswerShape | None:
    """The answer's declared fields (None when there is no valid answer file: that is reported)."""
    answer_docs = [d for d in docs if d.data.get("subject") == "answer"]
    if len(answer_docs) > 1:
        errors.append(f"{answer_docs[1].file}:1: subject: a second answer file "
                      f"(the first is {answer_docs[0].file}); keep one")
    elif not answer_docs:
        if not errors:   # (a broken answer file is reported as broken, not as missing)
            errors.append(f"{directory}: no answer file (a file with 'subject: answer' declaring the answer's fields)")
    elif not validate(answer_docs[0], "answer-fields"):
        shape, found = read_answer(answer_docs[0])
        errors.extend(found)
        return shape
    return None


def read_documents(directory: str | Path) -> tuple[list[Document], list[str]]:
    """Load and schema-check every rule file; returns the documents and all errors."""
    directory = Path(directory)
    _rules_directory(directory)
    files, errors = rule_entries(directory)
    if not files and not errors:
        raise RuleFileError(f"{directory}: no rule files (*.yaml) found")
    docs = [doc for path in files if (doc := _load_document(path, _label(path, directory), errors)) is not None]
    if not docs:
        return docs, errors
    # Rule files are checked against the answer's declared fields (what a ``then`` may give).
    shape = _answer_shape(docs, directory, errors)
    for doc in docs:   # (without the answer's declaration a rule's `then` cannot be checked: that error is reported)
        if shape is not None and not _is_special(doc):
            errors.extend(validate(doc, "rules", rules_validator(shape)) or document_errors(doc, "rules"))
    return docs, errors


def _date(value: Any) -> Any:
    return dates.parse_date(value) if value is not None else None


def _citations(items: Iterable[dict]) -> tuple[Citation, ...]:
    return tuple(Citation(ref=c["ref"], at=c.get("at"), quote=c.get("quote")) for c in items)


def _ids(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


@dataclass
class _Parts:
    """The documents of a rules directory sorted by what they declare."""
    sources: dict[str, Source] = field(default_factory=dict)
    source_at: dict[str, str] = field(default_factory=dict)   # source id → where it is first defined
    vocabulary_doc: Document | None = None
    value_docs: list[Document] = field(default_factory=list)
    answer: AnswerShape | None = None
    parameters: list[Parameter] = field(default_factory=list)
    rule_docs: list[Document] = field(default_factory=list)


def _add_sources(doc: Document, parts: _Parts, errors: list[str]) -> None:
    """The sources of a source registry file (each id once)."""
    for i, s in enumerate(doc.data["sources"]):
        where = f"{doc.file}:{doc.line(('sources', i, 'id'))}"
        if s["id"] in parts.sources:
            errors.append(f"{where}: sources[{i}].id: duplicate source id '{s['id']}' "
                          f"(first defined at {parts.source_at[s['id']]})")
        else:
            parts.source_at[s["id"]] = where
        parts.sources[s["id"]] = Source(id=s["id"], title=s["title"], kind=s["kind"], status=s["status"],
                                        where=s["where"], date=_date(s.get("date")), file=s.get("file"),
                                        note=s.get("note"), label=s.get("label"), url=s.get("url"))


def _parameters(doc: Document) -> list[Parameter]:
    """The parameters of a parameters file, each with its dated values."""
    return [Parameter(id=p["id"], title=p["title"], status=p["status"], source=_citations(p["source"]),
                      values=[(_date(v["from"]), _date(v.get("to")), v["value"]) for v in p["values"]],
                      unit=p.get("unit"), reason=p.get("reason"), file=doc.file, line=doc.line(("parameters", i)))
            for i, p in enumerate(doc.data["parameters"])]


def _sort_documents(docs: list[Document], errors: list[str]) -> _Parts:
    """Sort the documents by subject; sources, parameters and the answer are read on the way."""
    parts = _Parts()
    for doc in docs:
        kind = SPECIAL.get(doc.data["subject"])
        if kind == "sources":
            _add_sources(doc, parts, errors)
        elif kind == "vocabulary":
            if parts.vocabulary_doc is not None:
                errors.append(f"{doc.file}:{doc.line(('subject',))}: subject: a second vocabulary file "
                              f"(the first is {parts.vocabulary_doc.file}); keep one")
                continue
            parts.vocabulary_doc = doc
        elif kind == "values":
            parts.value_docs.append(doc)
        elif kind == "answer-fields":
            parts.answer, _ = read_answer(doc)   # its problems were reported with the schema check
        elif kind == "parameters":
            parts.parameters.extend(_parameters(doc))
        else:
            parts.rule_docs.append(doc)
    return parts


def _read_rule_docs(rule_docs: list[Document]) -> tuple[list[Rule], list[tuple[str, str, dict | None]]]:
    """Every rule of the rule files (in their order), and each file's (subject, file, title)."""
    rules: list[Rule] = []
    subjects = []
    for doc in rule_docs:
        subjects.append((doc.data["subject"], doc.file, doc.data.get("title")))
        for i, raw in enumerate(doc.data["rules"]):
            valid = raw.get("valid") or {}
            then = raw.get("then") or {}
            kind, value = next(iter(then.items())) if then else (None, None)
            rules.append(Rule(
                id=raw["id"], subject=doc.data["subject"], file=doc.file, line=doc.line(("rules", i)),
                title=raw["title"], status=raw["status"], source=_citations(raw["source"]),
                valid_from=_date(valid.get("from")), valid_to=_date(valid.get("to")),
                reason=raw.get("reason"), question=raw.get("question"),
                overrides=_ids(raw.get("overrides")), effect=raw.get("effect", "replace"),
                then_kind=kind, then_value=value, position=len(rules),
                field_lines={k[2:]: v for k, v in doc.lines.items() if k[:2] == ("rules", i)}))
    return rules, subjects


def read_rules(directory: str | Path) -> RuleSet:
    """The validated RuleSet of ``directory``; raises RuleFileError listing every problem. A rule set read
    before from the same bytes by the same code is taken as kept (:mod:`reform_rules.law.kept`)."""
    path = Path(directory)
    _rules_directory(path)
    files, errors = rule_entries(path)
    if errors or not files:
        return _read_rules(directory)
    ruleset = kept_or_read(path, files, _read_rules)
    ruleset.directory = str(directory)
    return ruleset


def _read_rules(directory: str | Path) -> RuleSet:
    docs, errors = read_documents(directory)
    if errors:
        raise RuleFileError(errors)
    parts = _sort_documents(docs, errors)
    vocabulary: Vocabulary | None = None
    if parts.vocabulary_doc is None:
        errors.append(f"{directory}: no vocabulary file (a file with 'subject: vocabulary')")
    else:
        vocabulary, found = read_vocabulary(parts.vocabulary_doc, parts.value_docs)
        errors.extend(found)
    if not parts.sources:
        errors.append(f"{directory}: no source registry (a file with 'subject: sources')")
    parts.rule_docs.sort(key=lambda d: (d.data.get("order", 1000), d.file))
    rules, subjects = _read_rule_docs(parts.rule_docs)
    if vocabulary is not None:
        errors.extend(_conditions(rules, parts.rule_docs, vocabulary))
    errors.extend(_cross_check(rules, parts.sources, vocabulary, parts.parameters))
    if errors:
        raise RuleFileError(errors)
    # Without errors both are there: a missing vocabulary or answer file is an error (above, read_documents).
    assert vocabulary is not None and parts.answer is not None, "no error, yet no vocabulary or answer"
    documents = {d.file: d.data for d in docs}
    return RuleSet(directory=str(directory), rules=rules, sources=parts.sources, vocabulary=vocabulary,
                   answer=parts.answer, parameters=parts.parameters, subjects=subjects, documents=documents)


def _where(rule: Rule, field: str) -> str:
    """``file:line: rule-id: field`` with the line of that field when the file has it."""
    path = tuple(int(p) if p.isdigit() else p for p in field.split("."))
    return f"{rule.file}:{rule.line_of(*path)}: {rule.id}: {field}"


def _conditions(rules: list[Rule], docs: list[Document], vocabulary: Vocabulary) -> list[str]:
    """Parse every rule's ``when`` once, into its typed condition (the only reading of it)."""
    errors: list[str] = []
    raw = {d.file: d for d in docs}
    groups = frozenset(r.then_value["id"] for r in rules
                       if r.then_kind == "target_group" and isinstance(r.then_value, dict))
    positions: dict[str, int] = {}
    for rule in rules:
        i = positions.get(rule.file, 0)
        positions[rule.file] = i + 1
        when = raw[rule.file].data["rules"][i].get("when")
        rule.condition, found = parse_condition(when, vocabulary, groups)
        for e in found:
            errors.append(f"{_where(rule, format_path(e.path))}: {e.message}")
        if rule.then_kind == "target_group" and DERIVED in rule.condition.keys():
            errors.append(f"{_where(rule, 'when.' + DERIVED)}: a target-group rule cannot depend on the target group")
        lonely = {(b.kind, b.dates[0].key) for branch in rule.condition.branches() for b in branch.beside
                  if not b.ids and b.dates}
        for kind, key in sorted(lonely):
            errors.append(f"{_where(rule, 'when.' + key)}: needs a '{kind}' condition beside it")
    return errors + _threshold_counts(rules)


def _threshold_counts(rules: list[Rule], limit: int = MAX_THRESHOLDS) -> list[str]:
    """An error at the first rule that gives a fact more than ``limit`` distinct thresholds."""
    seen: dict[str, set] = {}
    errors: list[str] = []
    for rule in rules:
        for test in rule.condition.walk():
            if not isinstance(test, (NumberTest, DateTest)):
                continue
            known = seen.setdefault(test.key, set())
            before = len(known)
            known.update(test.constants())
            if before <= limit < len(known):
                errors.append(f"{_where(rule, 'when.' + test.key)}: {test.key} is compared with more than {limit} "
                              f"distinct thresholds across the rules (this rule brings it to {len(known)}); the "
                              f"limit is {limit}: each threshold multiplies the situations reform check proves")
    return errors


def _then_values(rule: Rule, vocabulary: Vocabulary) -> list[str]:
    """What a rule decides must name known values: a beside spell kind's value (a programme's id),
    and any field named after a value table (``by_whom``)."""
    errors: list[str] = []
    value = rule.then_value
    if not isinstance(value, dict):
        return errors
    kind = vocabulary.spell_kind(rule.then_kind or "")
    if kind is not None and kind.role == "beside" and value.get("id") not in vocabulary.table(kind.values):
        errors.append(f"{_where(rule, f'then.{rule.then_kind}.id')}: '{value.get('id')}' is not a known "
                      f"{kind.kind} (vocabulary: {', '.join(vocabulary.table(kind.values))})")
    for name, v in value.items():
        if name in vocabulary.tables and v is not None and v not in vocabulary.tables[name]:
            errors.append(f"{_where(rule, f'then.{rule.then_kind}.{name}')}: '{v}' is not one of: "
                          f"{', '.join(vocabulary.tables[name])}")
    return errors


def _override_cycles(rules: list[Rule], by_id: dict[str, Rule]) -> list[str]:
    """A rule that, through exceptions, ends up overriding itself sets both sides aside."""
    errors: list[str] = []
    reported: set[frozenset[str]] = set()
    for rule in rules:
        stack: list[tuple[str, tuple[str, ...]]] = [(rule.id, (rule.id,))]
        seen: set[str] = set()
        while stack:
            current, path = stack.pop()
            for target in by_id[current].overrides if current in by_id else ():
                if target == rule.id and len(path) > 1:
                    cycle = frozenset(path)
                    if cycle not in reported:
                        reported.add(cycle)
                        errors.append(f"{_where(rule, 'overrides')}: exceptions override each other in a cycle "
                                      f"({' → '.join(path + (rule.id,))}); neither would apply")
                elif target not in seen and target != rule.id:
                    seen.add(target)
                    stack.append((target, path + (target,)))
    return errors


def _cross_check(rules: list[Rule], sources: dict[str, Source], vocabulary: Vocabulary | None,
                 parameters: list[Parameter]) -> list[str]:
    """References between rules, sources and vocabulary; assigns each rule its family."""
    errors: list[str] = []
    by_id = _index(rules, errors)
    for rule in rules:
        errors.extend(_field_errors(rule, sources))
        if vocabulary is not None:
            errors.extend(_then_values(rule, vocabulary))
        errors.extend(_override_errors(rule, by_id))
    _assign_families(rules, by_id)
    errors.extend(_family_errors(rules, by_id))
    errors.extend(_override_cycles(rules, by_id))
    errors.extend(_parameter_errors(parameters, sources))
    return errors


def _index(rules: list[Rule], errors: list[str]) -> dict[str, Rule]:
    """The rules by id (the first of a repeated id; each repeat is an error)."""
    by_id: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in by_id:
            first = by_id[rule.id]
            errors.append(f"{_where(rule, 'id')}: duplicate rule id (first defined at {first.file}:{first.line})")
        else:
            by_id[rule.id] = rule
    return by_id


def _field_errors(rule: Rule, sources: dict[str, Source]) -> list[str]:
    """A rule's own fields: its dates in order, known sources, a reason, a question, a ``then`` that fits its effect."""
    errors: list[str] = []
    if rule.valid_from and rule.valid_to and rule.valid_to < rule.valid_from:
        errors.append(f"{_where(rule, 'valid.to')}: {rule.valid_to} is before valid.from {rule.valid_from}")
    for c in rule.source:
        if c.ref not in sources:
            errors.append(f"{_where(rule, 'source')}: unknown source '{c.ref}' (not in the source registry)")
    if rule.status == "provisional" and not rule.reason:
        errors.append(f"{_where(rule, 'reason')}: a provisional rule must state its reason")
    if rule.undetermined and not rule.question:
        errors.append(f"{_where(rule, 'question')}: an undetermined answer must name its open question")
    if rule.then_kind is None and rule.effect != "waive":
        errors.append(f"{_where(rule, 'then')}: missing field 'then' (what the rule decides); "
                      "only an exception with 'effect: waive' may leave it out")
    if rule.effect == "waive" and rule.then_kind is not None:
        errors.append(f"{_where(rule, 'then')}: an exception with 'effect: waive' lifts the rule it overrides "
                      "and decides nothing of its own; remove 'then' or the waive")
    return errors


def _override_errors(rule: Rule, by_id: dict[str, Rule]) -> list[str]:
    """A rule overrides other, existing rules (and a waive names one)."""
    errors: list[str] = []
    if rule.effect == "waive" and not rule.overrides:
        errors.append(f"{_where(rule, 'overrides')}: an exception with 'effect: waive' "
                      "must name the rule it overrides")
    for target in rule.overrides:
        if target == rule.id:
            errors.append(f"{_where(rule, 'overrides')}: a rule cannot override itself")
        elif target not in by_id:
            errors.append(f"{_where(rule, 'overrides')}: '{target}' is not a rule id")
    return errors


def _assign_families(rules: list[Rule], by_id: dict[str, Rule]) -> None:
    """Each rule's family: its conclusion, or for a pure exception the family of what it overrides."""
    for rule in rules:
        if rule.then_kind:
            rule.family = rule.then_kind
    for _ in range(len(rules)):
        for rule in rules:
            if not rule.family:
                fams = {by_id[t].family for t in rule.overrides if t in by_id and by_id[t].family}
                if len(fams) == 1:
                    rule.family = fams.pop()


def _family_errors(rules: list[Rule], by_id: dict[str, Rule]) -> list[str]:
    """An exception decides the same thing as the rules it overrides, and something at all."""
    errors: list[str] = []
    for rule in rules:
        for target in rule.overrides:
            other = by_id.get(target)
            if other and other.family and rule.family and other.family != rule.family:
                errors.append(f"{_where(rule, 'overrides')}: '{target}' decides {other.family}, "
                              f"this rule decides {rule.family}; an exception must decide the same thing")
        if not rule.family and rule.overrides:
            errors.append(f"{_where(rule, 'overrides')}: cannot tell what this exception decides")
    return errors


def _parameter_errors(parameters: list[Parameter], sources: dict[str, Source]) -> list[str]:
    """Every parameter cites known sources."""
    return [f"{p.file}:{p.line}: {p.id}: source: unknown source '{c.ref}'"
            for p in parameters for c in p.source if c.ref not in sources]
