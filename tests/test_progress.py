"""Progress of the long proofs: ``reform check`` and ``reform diff`` tell a callback as each answer field is done
(the command shows it as a bar on a terminal only)."""
import shutil

from reform_rules.answer.diff import diff
from reform_rules.logic.completeness import check_completeness


def test_the_proof_tells_each_field_once_and_ends_complete(library):
    calls: list[tuple[int, int, str]] = []
    lo, hi = library.ruleset.vocabulary.horizon
    check_completeness(library, lo, hi, progress=lambda done, total, field: calls.append((done, total, field)))
    fields = [f.then for f in library.ruleset.answer.fields]
    assert [c[2] for c in calls[:-1]] == fields                      # each field, in order, before it is proved
    assert [c[0] for c in calls] == list(range(len(fields) + 1))      # counts 0 … n: never backwards
    assert {c[1] for c in calls} == {len(fields)} and calls[-1][0] == calls[-1][1]


def test_diff_tells_progress_over_the_fields_it_compares(fictional_dir, tmp_path):
    moved = tmp_path / "moved"
    shutil.copytree(fictional_dir, moved)
    rule_files = sorted(p for p in moved.glob("*.yaml") if "valid: {from: " in p.read_text())
    text = rule_files[0].read_text()
    start = text.index("valid: {from: ") + len("valid: {from: ")
    year = int(text[start:start + 4])
    rule_files[0].write_text(text[:start] + str(year + 1) + text[start + 4:])
    calls: list[tuple[int, int, str]] = []
    changes, _answers, _pairs = diff(str(fictional_dir), str(moved),
                                     progress=lambda done, total, field: calls.append((done, total, field)))
    assert changes and calls and calls[-1][0] == calls[-1][1] >= 1
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)
