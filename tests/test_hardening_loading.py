"""Hardening of loading: nothing a parse read is retained, every number and date in a rule file is
bounded, the rules directory is listed strictly, and what loads but looks wrong is warned about."""
from __future__ import annotations

import gc
import sys
import tracemalloc

from reform_rules.law.loader import load_file, parse_text


def test_a_parsed_value_is_held_by_nothing_but_its_reader():
    """The old module-level YAML constructor kept every node it built (and so every value) for ever."""
    text = "id: " + "p" * 5000 + "-unique\nborn: 1980-01-01\n"
    doc = parse_text(text, "citizen")
    value = doc.data["id"]
    del doc
    gc.collect()
    # one reference is ``value``, one is getrefcount's own argument: no cache holds the text
    assert sys.getrefcount(value) == 2


def test_many_parses_do_not_grow_memory(tmp_path):
    """200 parses of 20 kB each: what stays allocated afterwards is far less than one tenth of what was read."""
    path = tmp_path / "example.yaml"
    count, size = 200, 20_000
    parse_text("warm: up\n", "warm")  # imports and first-use caches are not what is measured
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(count):
            path.write_text(f"note: {i:04d}{'x' * size}\n", encoding="utf-8")
            assert len(load_file(path).data["note"]) == size + 4
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < count * size / 10, f"{grown:,} bytes still allocated after {count} parses"


# -- every number and date in a rule file is bounded ---------------------------------------------

import re  # noqa: E402
import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from conftest import ROOT, run_cli  # noqa: E402


def _rules_with(tmp_path: Path, file: str, old: str, new: str, count: int = 1) -> Path:
    """A copy of rules/ with ``old`` replaced by ``new`` (the first ``count`` times, by regex) in ``file``."""
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    p = rules / file
    text, n = re.subn(old, new, p.read_text("utf-8"), count=count)
    assert n, f"{old!r} not in {file}"
    p.write_text(text, "utf-8")
    return rules


def _load_errors(rules: Path) -> list[str]:
    from reform_rules import RuleBase, RuleFileError
    try:
        RuleBase.load(rules)
    except RuleFileError as exc:
        return exc.messages
    return []


@pytest.mark.parametrize("file, old, new, message", [
    ("contact.yaml", r"within_months: \d+", "within_months: 999999999",
     "then.obligation.within_months: 999999999 is greater than the maximum of 120"),
    ("contact.yaml", r"first_within_weeks: \d+", "first_within_weeks: 1000000000000",
     "then.obligation.first_within_weeks: 1000000000000 is greater than the maximum of 520"),
    ("contact.yaml", r"count: \d+", "count: 100000", "then.obligation.count: 100000 is greater than the maximum of 100"),
    ("contact.yaml", r"within_months: (\d+)", r"within_months: \1.0",
     "then.obligation.within_months: 3.0 is a number; expected a whole number"),
    ("programmes.yaml", r"age: \{under: 30\}", "age: {under: 1000}", "when.age.under: 1000 is greater than the maximum of 150"),
    ("contact.yaml", r"months_into_spell: \{under: (\d+)\}", "months_into_spell: {under: 99999999}",
     "when.months_into_spell.under: 99999999 is greater than the maximum of 1200"),
    ("phases.yaml", r"valid: \{from: 2027-01-01\}", "valid: {from: 2027-01-01, to: 9999-12-31}",
     "valid.to: '9999-12-31' is outside the years 1900–2200; is it a typo?"),
    ("phases.yaml", r"valid: \{from: 2027-01-01\}", "valid: {from: 1066-10-14}",
     "valid.from: '1066-10-14' is outside the years 1900–2200"),
    ("vocabulary.yaml", r"to: 2030-12-31", "to: 3030-12-31", "horizon.to: '3030-12-31' is outside the years"),
    ("parameters.yaml", r"value: 440\}", "value: .inf}", "value: inf is greater than the maximum of 1000000000000"),
])
def test_numbers_and_dates_out_of_bounds_are_refused_at_load(tmp_path, file, old, new, message):
    errors = _load_errors(_rules_with(tmp_path, file, old, new))
    assert any(e.startswith(f"{tmp_path / 'rules' / file}:") and message in e for e in errors), errors


def test_a_huge_window_is_refused_by_check_not_a_traceback_in_query(tmp_path):
    rules = _rules_with(tmp_path, "contact.yaml", r"within_months: \d+", "within_months: 999999999", count=0)
    check = run_cli("check", "--quick", "--rules", str(rules))
    assert check.returncode == 1 and "Traceback" not in check.stderr
    assert re.search(r"contact\.yaml:\d+: rules\[\d+\]\.then\.obligation\.within_months: 999999999", check.stderr)
    (tmp_path / "dp.yaml").write_text("id: p1\nborn: 1980-01-01\nspells:\n  - {benefit: dagpenge, from: 2027-02-01}\n")
    query = run_cli("query", str(tmp_path / "dp.yaml"), "--date", "2027-03-01", "--rules", str(rules))
    assert query.returncode == 1 and "Traceback" not in query.stderr and "within_months" in query.stderr


# -- the rules directory: nothing named like a rule file is skipped in silence -------------------

import errno  # noqa: E402
import os  # noqa: E402


def _copy(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    return rules


@pytest.mark.parametrize("make, message", [
    (lambda r: shutil.copyfile(r / "contact.yaml", r / "EXTRA.YAML"),
     "EXTRA.YAML:1: the name ends in '.YAML'; a rule file's name ends in lowercase .yaml or .yml"),
    (lambda r: (r / "extra.yaml").mkdir(), "extra.yaml:1: a directory, not a rule file"),
    (lambda r: os.symlink("nowhere.yaml", r / "gone.yaml"), "gone.yaml:1: a symbolic link to nothing"),
    (lambda r: os.symlink("loop.yaml", r / "loop.yaml"), "loop.yaml:1: a symbolic link that leads back to itself"),
    (lambda r: os.mkfifo(r / "pipe.yaml"), "pipe.yaml:1: a named pipe (FIFO), not a plain file"),
], ids=["upper-case-suffix", "directory", "dangling-symlink", "symlink-loop", "fifo"])
def test_an_entry_named_like_a_rule_file_that_is_not_one_is_refused(tmp_path, make, message):
    rules = _copy(tmp_path)
    make(rules)
    r = run_cli("check", "--quick", "--lang", "en", "--rules", str(rules))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert message in r.stderr and "nothing was loaded" in r.stderr


def test_a_symlink_to_a_rule_file_loads_and_one_to_nothing_does_not(tmp_path):
    rules = _copy(tmp_path)
    (tmp_path / "kept.yaml").write_bytes((rules / "jobpraemie.yaml").read_bytes())
    (rules / "jobpraemie.yaml").unlink()
    os.symlink(tmp_path / "kept.yaml", rules / "jobpraemie.yaml")
    assert _load_errors(rules) == []
    (tmp_path / "kept.yaml").unlink()
    assert _load_errors(rules) == [f"{rules / 'jobpraemie.yaml'}:1: a symbolic link to nothing (its target is missing)"]


@pytest.mark.parametrize("file, old, new, message", [
    ("vocabulary.yaml", r"horizon: \{from: (\S+), to: (\S+)\}", r"horizon: {from: \2, to: \1}",
     "horizon.to: 2025-01-01 is before from 2030-12-31"),
    ("parameters.yaml", r"\{from: 2026-01-01, to: 2026-12-31, value: 200\}", "{from: 2026-12-31, to: 2026-01-01, value: 200}",
     "values[0].to: 2026-01-01 is before from 2026-12-31"),
    ("contact.yaml", r'title: \{da: "', 'title: {da: "\u202e', "a bidirectional control character "
     "(U+202E RIGHT-TO-LEFT OVERRIDE) makes the text display in another order than it reads"),
    ("contact.yaml", r"(# .*)", "\\1 \u2066", "a bidirectional control character (U+2066 LEFT-TO-RIGHT ISOLATE)"),
], ids=["reversed-horizon", "parameter-to-before-from", "rlo-in-title", "isolate-in-comment"])
def test_refused_at_load(tmp_path, file, old, new, message):
    errors = _load_errors(_rules_with(tmp_path, file, old, new))
    assert any(message in e and f"rules/{file}:" in e for e in errors), errors


def test_reversed_horizon_no_longer_checks_one_date_and_says_clean(tmp_path):
    rules = _rules_with(tmp_path, "vocabulary.yaml", r"horizon: \{from: (\S+), to: (\S+)\}",
                        r"horizon: {from: \2, to: \1}")
    r = run_cli("check", "--rules", str(rules))
    assert r.returncode == 1 and "clean" not in r.stdout + r.stderr
    assert "horizon.to: 2025-01-01 is before from 2030-12-31" in r.stderr


OLD_RULE = """
  - id: eksempel-forbi
    title: {da: "Eksempel", en: "Example"}
    valid: {from: 2021-01-01, to: 2022-12-31}
    status: law
    source:
      - {ref: seed-003, at: "jobpræmie"}
    when: {benefit: kontanthjaelp, age: {under: 30, at_least: 40},
           any_of: [{spell_started: {before: 2026-01-01, on_or_after: 2026-01-01}}, {vocational_education: true}]}
    then: {jobpraemie: true}
"""


def test_check_warns_of_rules_that_can_never_apply_and_of_hidden_files(tmp_path):
    rules = _copy(tmp_path)
    with (rules / "jobpraemie.yaml").open("a", encoding="utf-8") as f:
        f.write(OLD_RULE)
    (rules / ".draft.yaml").write_text("subject: draft\n")
    r = run_cli("check", "--quick", "--lang", "en", "--rules", str(rules))
    assert r.returncode == 0, r.stderr
    assert re.search(r"warning: \S*jobpraemie\.yaml:\d+: eksempel-forbi: valid: 2021-01-01 – 2022-12-31 lies "
                     r"wholly outside the vocabulary's horizon 2025-01-01 – 2030-12-31", r.stdout), r.stdout
    assert re.search(r"warning: \S*jobpraemie\.yaml:\d+: eksempel-forbi: when\.age: can never hold: no number "
                     r"passes \{under: 30, at_least: 40\}", r.stdout), r.stdout
    assert re.search(r"warning: \S*\.draft\.yaml: a hidden file, not read as a rule file", r.stdout), r.stdout
    assert re.search(r"eksempel-forbi: when\.any_of\[0\]\.spell_started: can never hold: no date is before "
                     r"2026-01-01 and on or after 2026-01-01", r.stdout), r.stdout


# -- permissions: a clear line, never a PermissionError traceback (root ignores permission bits,
# so the refusals are simulated; the real thing is tested as well where it can be) ---------------

def test_an_unlistable_rules_directory_via_reform_rules_is_one_line(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from reform_rules.cli.main import main
    rules = _copy(tmp_path)
    real = Path.iterdir

    def iterdir(self):
        if self == rules:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    result = CliRunner().invoke(main, ["check", "--quick"], env={"REFORM_RULES": str(rules)})
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert f"{rules}: cannot list the rules directory (Permission denied)" in result.stderr


def test_a_rules_directory_that_cannot_be_searched_is_one_line(tmp_path, monkeypatch):
    from reform_rules import RuleBase, RuleFileError
    rules = _copy(tmp_path)
    real = Path.lstat

    def lstat(self):
        if self.parent == rules:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "lstat", lstat)
    with pytest.raises(RuleFileError) as caught:
        RuleBase.load(rules)
    assert caught.value.messages == [f"{rules}: cannot open the files in the rules directory (Permission denied; "
                                     "it needs read and search permission)"]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root ignores permission bits; the monkeypatched tests above cover this")
@pytest.mark.parametrize("mode", [0o000, 0o600], ids=["unreadable", "not-searchable"])
def test_real_permission_bits(tmp_path, mode):
    rules = _copy(tmp_path)
    rules.chmod(mode)
    try:
        r = run_cli("check", "--quick", "--rules", str(rules))
    finally:
        rules.chmod(0o755)
    assert r.returncode == 1 and "Traceback" not in r.stderr and "Permission denied" in r.stderr
