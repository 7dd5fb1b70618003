"""A rule set read once is kept on disk and taken from there while the rule files and the code are the same
(reform_rules/law/kept.py): never a stale set after an edit, never from a directory others may write in."""
from __future__ import annotations

import shutil

import pytest

import reform_rules.law.ruleset as ruleset_module
from conftest import RULES
from reform_rules import RuleBase
from reform_rules.basics.errors import RuleFileError


@pytest.fixture
def kept(tmp_path, monkeypatch):
    """An empty cache directory of the user's own, and a count of real reads."""
    where = tmp_path / "kept"
    where.mkdir(mode=0o700)
    monkeypatch.setenv("REFORM_CACHE_DIR", str(where))
    reads = []
    real = ruleset_module._read_rules

    def counting(directory):
        reads.append(directory)
        return real(directory)
    monkeypatch.setattr(ruleset_module, "_read_rules", counting)
    return where, reads


def test_the_second_load_is_the_kept_set_and_equals_a_fresh_read(kept):
    where, reads = kept
    first = RuleBase.load(RULES)
    second = RuleBase.load(RULES)
    assert len(reads) == 1 and len(list(where.glob("*.ruleset"))) == 1
    a, b = first.ruleset, second.ruleset
    assert b.directory == str(RULES)
    assert (a.rules, a.sources, a.parameters, a.subjects, a.documents) == \
        (b.rules, b.sources, b.parameters, b.subjects, b.documents)
    assert a.vocabulary == b.vocabulary and a.answer == b.answer and first.rules_hash == second.rules_hash
    anna = second.load_citizen(RULES.parent / "scenarios/examples/anna.yaml")
    assert first.evaluate(anna, "2027-03-01").to_json() == second.evaluate(anna, "2027-03-01").to_json()


def test_an_edited_rule_file_is_read_again_and_its_error_reported(kept, tmp_path):
    where, reads = kept
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    RuleBase.load(rules)
    path = rules / "phases.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("status: law", "status: lore", 1), encoding="utf-8")
    with pytest.raises(RuleFileError) as err:
        RuleBase.load(rules)
    assert "phases.yaml:" in str(err.value) and "status" in str(err.value)
    assert len(reads) == 2 and len(list(where.glob("*.ruleset"))) == 1   # what failed is not kept


def test_the_same_rules_elsewhere_are_the_same_entry(kept, tmp_path):
    where, reads = kept
    RuleBase.load(RULES)
    copy = tmp_path / "copy"
    shutil.copytree(RULES, copy)
    assert RuleBase.load(copy).ruleset.directory == str(copy)
    assert len(reads) == 1


def test_a_damaged_entry_is_passed_over(kept):
    where, reads = kept
    RuleBase.load(RULES)
    [entry] = where.glob("*.ruleset")
    entry.write_bytes(b"not a pickle")
    assert RuleBase.load(RULES).ruleset.rules
    assert len(reads) == 2
    RuleBase.load(RULES)
    assert len(reads) == 2   # written anew


@pytest.mark.parametrize("mode", [0o770, 0o777])
def test_a_directory_others_may_write_in_is_not_used(kept, mode):
    where, reads = kept
    where.chmod(mode)
    RuleBase.load(RULES)
    RuleBase.load(RULES)
    assert len(reads) == 2 and not list(where.glob("*.ruleset"))


def test_off_keeps_nothing(kept, monkeypatch):
    where, reads = kept
    monkeypatch.setenv("REFORM_CACHE_DIR", "off")
    RuleBase.load(RULES)
    RuleBase.load(RULES)
    assert len(reads) == 2 and not list(where.glob("*.ruleset"))
