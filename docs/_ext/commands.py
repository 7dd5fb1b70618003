"""The commands the guides show, in ONE place: what is run, where, and the exit code it must give.

The docs build runs every command and writes its real output into ``docs/generated/commands/``;
the guides include those files. ``tests/test_docs.py`` runs the same list and checks each exit code,
so a guide never shows a command that no longer works.

A command runs from the project root, or, when it has ``edits``, in a scratch copy of ``rules/`` and
``scenarios/examples/`` with the edits applied (the real rules are never touched): that is how the
legal editor's guide shows a real ``reform check`` on a changed or a broken rule file.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRATCH_COPIES = ("rules", "scenarios/examples")


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` by ``new`` in ``file`` (every occurrence; at least one must exist), or append."""
    file: str
    old: str = ""
    new: str = ""
    append: str = ""

    def apply(self, root: Path) -> None:
        path = root / self.file
        text = path.read_text("utf-8")
        if self.append:
            text = text.rstrip("\n") + "\n" + self.append
        else:
            if self.old not in text:
                raise EditError(f"{self.file}: the text to edit is gone: {self.old!r} "
                                "(update docs/_ext/commands.py)")
            text = text.replace(self.old, self.new)
        path.write_text(text, "utf-8")


class EditError(Exception):
    pass


@dataclass(frozen=True)
class Command:
    id: str
    argv: tuple[str, ...]       # as the reader types it; "reform" and "python" are resolved at run time
    exit: int = 0               # the exit code it must give
    guide: str = ""
    edits: tuple[Edit, ...] = ()
    cut_at: str | None = None   # show the output only up to the first line starting with this
    max_lines: int | None = None
    start_at: str | None = None  # show the output only from the first line starting with this

    @property
    def shown(self) -> str:
        return "$ " + " ".join(_quote(a) for a in self.argv)


def _quote(arg: str) -> str:
    return f'"{arg}"' if any(c in arg for c in " *?$") else arg


# --- the edits the legal editor's guide makes ---------------------------------------------------
TRIALS_LATER = (
    Edit("rules/trials.yaml", "valid: {from: 2027-01-01, to: 2029-12-31}", "valid: {from: 2027-07-01, to: 2030-06-30}"),
    Edit("rules/trials.yaml", "spell_started: {on_or_after: 2027-01-01}", "spell_started: {on_or_after: 2027-07-01}"),
    Edit("rules/contact.yaml", "valid: {from: 2027-01-01, to: 2029-12-31}", "valid: {from: 2027-07-01, to: 2030-06-30}"),
    Edit("rules/contact.yaml", "spell_started: {on_or_after: 2027-01-01}", "spell_started: {on_or_after: 2027-07-01}"),
)
NEW_RULE = """\

  - id: eksempel-jobpraemie-unge
    title: {da: "Eksempel: aktivitetsparat under 30 med mindst 6 måneders anciennitet", en: "Example: activity-ready under 30 with at least 6 months' seniority"}
    valid: {from: 2027-01-01}
    status: provisional
    reason: {da: "Kun et eksempel i vejledningen.", en: "Only an example in the guide."}
    source:
      - {ref: seed-003, at: "jobpræmie"}
    when: {benefit: kontanthjaelp, assessment: aktivitetsparat, age: {under: 30}, months_into_spell: {at_least: 6}}
    then: {jobpraemie: true}
"""
ADD_RULE = (Edit("rules/jobpraemie.yaml", append=NEW_RULE),)
MISSPELT_BENEFIT = (Edit("rules/jobpraemie.yaml", append=NEW_RULE.replace("benefit: kontanthjaelp", "benefit: kontanthjelp")),)
BAD_DATE = (Edit("rules/jobpraemie.yaml", append=NEW_RULE.replace("from: 2027-01-01", "from: 2027-13-01")),)
NO_REASON = (Edit("rules/jobpraemie.yaml", append="\n".join(
    line for line in NEW_RULE.splitlines() if "reason:" not in line) + "\n"),)

LONE = "scenarios/examples/lone.yaml"
COMMANDS: tuple[Command, ...] = (
    # caseworker
    Command("query-lone-da", ("reform", "query", LONE, "--date", "2026-08-10"), guide="caseworker"),
    Command("query-lone-en", ("reform", "query", LONE, "--date", "2026-08-10", "--lang", "en"), guide="caseworker"),
    Command("query-thomas-en", ("reform", "query", "scenarios/examples/thomas.yaml", "--date", "2027-03-01",
                                "--lang", "en"), guide="caseworker"),
    Command("query-open-questions", ("reform", "query", "scenarios/examples/jobafklaring-2027.yaml", "--date",
                                     "2027-01-02", "--lang", "en"), guide="caseworker", cut_at="Because:"),
    Command("query-lone-json", ("reform", "query", LONE, "--date", "2026-08-10", "--json", "--lang", "en"),
            guide="caseworker"),
    Command("query-bad-date", ("reform", "query", LONE, "--date", "2026-02-30"), exit=2, guide="caseworker"),
    Command("query-what-if-lone", ("reform", "query", LONE, "--date", "2026-08-10", "--what-if", "--lang", "en"),
            guide="caseworker", start_at="What could change"),
    Command("timeline-thomas", ("reform", "timeline", "scenarios/examples/thomas.yaml", "--from", "2026-01-01",
                                "--to", "2027-12-31", "--lang", "en"), guide="caseworker"),
    Command("parameters", ("reform", "parameters", "--date", "2027-06-01", "--lang", "en"), guide="caseworker"),
    # legal editor
    Command("check-quick", ("reform", "check", "--quick", "--lang", "en"), guide="legal-editor"),
    Command("grep-trial-dates", ("grep", "-rn", "2029-12-31", "rules/"), guide="legal-editor"),
    Command("query-trial-before", ("reform", "query", "scenarios/examples/dagpenge-aarhus-2027.yaml", "--date",
                                   "2027-03-01", "--lang", "en"), guide="legal-editor", cut_at="Because:"),
    Command("check-trials-later", ("reform", "check", "--quick", "--lang", "en"), guide="legal-editor",
            edits=TRIALS_LATER),
    Command("query-trial-after", ("reform", "query", "scenarios/examples/dagpenge-aarhus-2027.yaml", "--date",
                                  "2027-03-01", "--lang", "en"), guide="legal-editor", edits=TRIALS_LATER,
            cut_at="Because:"),
    Command("check-new-rule", ("reform", "check", "--quick", "--lang", "en"), guide="legal-editor",
            edits=ADD_RULE),
    Command("check-misspelt-benefit", ("reform", "check", "--lang", "en"), exit=1, guide="legal-editor",
            edits=MISSPELT_BENEFIT),
    Command("check-bad-date", ("reform", "check", "--lang", "en"), exit=1, guide="legal-editor", edits=BAD_DATE),
    Command("check-no-reason", ("reform", "check", "--lang", "en"), exit=1, guide="legal-editor", edits=NO_REASON),
    # tester
    Command("scenario-pass", ("reform", "scenarios", "-v", "--lang", "en", "docs/guide-files/lone-scenario.yaml"),
            guide="tester"),
    Command("scenario-fail", ("reform", "scenarios", "--lang", "en", "docs/guide-files/lone-scenario-wrong.yaml"),
            exit=1, guide="tester"),
    # analyst
    Command("batch-caseload", ("reform", "batch", "docs/guide-files/caseload.csv", "--date", "2026-12-31", "--date",
                               "2027-01-01", "--out", "-"), guide="analyst"),
    Command("batch-labels", ("reform", "batch", "docs/guide-files/caseload.csv", "--date", "2027-01-01", "--out", "-",
                             "--labels", "en"), guide="analyst"),
    Command("impact-caseload", ("reform", "impact", "docs/guide-files/caseload.csv", "--to", "2027-03-01"),
            guide="analyst"),
    Command("batch-frame-example", ("python", "docs/guide-files/batch_example.py"), guide="analyst"),
    # developer
    Command("reform-help", ("reform", "--help"), guide="developer"),
    Command("api-example", ("python", "docs/guide-files/api_example.py"), guide="developer"),
    Command("datalog-example", ("python", "docs/guide-files/datalog_example.py"), guide="developer"),
)


def slow_first(cmds: tuple[Command, ...]) -> list[Command]:
    """The full ``reform check`` (the completeness proof) takes longest: start it first."""
    return sorted(cmds, key=lambda c: 0 if c.argv[:2] == ("reform", "check") and "--quick" not in c.argv
                  and not c.edits else 1)


@dataclass
class Result:
    command: Command
    exit: int
    stdout: str
    stderr: str
    diff: str = ""
    error: str = ""      # set when the command could not be prepared (an edit no longer applies)

    @property
    def ok(self) -> bool:
        return not self.error and self.exit == self.command.exit

    @property
    def output(self) -> str:
        """What the reader sees in a terminal: stdout, then stderr, cut as the command says."""
        text = self.stdout + ("\n" if self.stdout and self.stderr and not self.stdout.endswith("\n") else "") \
            + self.stderr
        lines = text.rstrip("\n").splitlines()
        cut = None
        if self.command.cut_at:
            for i, line in enumerate(lines):
                if line.startswith(self.command.cut_at):
                    cut = i
                    break
        if self.command.max_lines and len(lines) > self.command.max_lines:
            cut = min(cut or len(lines), self.command.max_lines)
        if cut is not None and cut < len(lines):
            lines = lines[:cut] + [f"[… {len(lines) - cut} more lines]"]
        if self.command.start_at:
            start = next((i for i, line in enumerate(lines) if line.startswith(self.command.start_at)), 0)
            if start:
                lines = [f"[… {start} lines: the answer]"] + lines[start:]
        return "\n".join(lines)


def _argv(cmd: Command) -> list[str]:
    head, *rest = cmd.argv
    if head == "reform":
        return [sys.executable, "-m", "reform_rules", *rest]
    if head == "python":
        return [sys.executable, *rest]
    return list(cmd.argv)


def edit_diff(edits: tuple[Edit, ...]) -> str:
    """The edits as a unified diff against the real rule files (what the editor changed)."""
    with tempfile.TemporaryDirectory(prefix="reform-docs-") as tmp:
        work = Path(tmp)
        files = sorted({e.file for e in edits})
        for f in files:
            (work / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / f, work / f)
        for e in edits:
            e.apply(work)
        out = []
        for f in files:
            before = (ROOT / f).read_text("utf-8").splitlines(keepends=True)
            after = (work / f).read_text("utf-8").splitlines(keepends=True)
            out += difflib.unified_diff(before, after, f"a/{f}", f"b/{f}", n=1)
        return "".join(out)


def run(cmd: Command, timeout: float = 120) -> Result:
    """Run one command as the reader would, and capture what it prints and its exit code."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="100")
    env.pop("REFORM_RULES", None)
    if not cmd.edits:
        p = subprocess.run(_argv(cmd), cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
        return Result(cmd, p.returncode, p.stdout, p.stderr)
    with tempfile.TemporaryDirectory(prefix="reform-docs-") as tmp:
        work = Path(tmp)
        for part in SCRATCH_COPIES:
            shutil.copytree(ROOT / part, work / part)
        try:
            for e in cmd.edits:
                e.apply(work)
            diff = edit_diff(cmd.edits)
        except EditError as exc:
            return Result(cmd, -1, "", "", error=str(exc))
        p = subprocess.run(_argv(cmd), cwd=work, env=env, capture_output=True, text=True, timeout=timeout)
        return Result(cmd, p.returncode, p.stdout, p.stderr, diff=diff)


INPUTS = ("reform_rules", "rules", "scenarios", "docs/guide-files", "pyproject.toml")


def inputs_digest() -> str:
    """A digest of every file a command's output can depend on (the engine, the rules, the citizens …)."""
    h = hashlib.sha256(sys.version.encode())
    for top in INPUTS:
        path = ROOT / top
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()
                                                     and "__pycache__" not in p.parts)
        for f in files:
            h.update(f.relative_to(ROOT).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def run_cached(cmd: Command, cache: Path, digest: str) -> Result:
    """``run``, unless the same command already ran on exactly the same inputs (for quick rebuilds)."""
    key = hashlib.sha256((digest + repr(cmd)).encode()).hexdigest()[:32]
    path = cache / f"{cmd.id}-{key}.json"
    if path.is_file():
        try:
            d = json.loads(path.read_text("utf-8"))
            return Result(cmd, d["exit"], d["stdout"], d["stderr"], d["diff"], d["error"])
        except (ValueError, KeyError):
            pass
    res = run(cmd)
    if not res.error:
        cache.mkdir(parents=True, exist_ok=True)
        for old in cache.glob(f"{cmd.id}-*.json"):
            old.unlink(missing_ok=True)
        path.write_text(json.dumps({"exit": res.exit, "stdout": res.stdout, "stderr": res.stderr, "diff": res.diff,
                                    "error": res.error}), "utf-8")
    return res


def by_id(command_id: str) -> Command:
    for c in COMMANDS:
        if c.id == command_id:
            return c
    raise KeyError(command_id)
