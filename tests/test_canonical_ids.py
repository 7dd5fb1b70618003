"""Every canonical id of the domain contract is decided by a rule (REFORM.md, kept as a fixture)."""
from pathlib import Path

import pytest
import yaml

IDS = yaml.safe_load((Path(__file__).parent / "fixtures" / "canonical_ids.yaml").read_text())


def decided(base, kind: str) -> dict[str, set]:
    out: dict[str, set] = {}
    for r in base.ruleset.rules:
        if r.then_kind == kind and isinstance(r.then_value, dict):
            out.setdefault(r.then_value["id"], set()).add(r.then_value.get("structure") or r.then_value.get("status"))
        elif r.then_kind == kind:
            out.setdefault(r.then_value, set())
    return out


@pytest.mark.parametrize("pid", IDS["phases"])
def test_phase_defined(base, pid):
    assert pid in decided(base, "phase")


@pytest.mark.parametrize("structure", ["old-13", "new-5"])
def test_target_groups_defined_with_their_structure(base, structure):
    groups = decided(base, "target_group")
    for gid in IDS[f"target_groups_{structure}"]:
        assert gid in groups, f"no rule decides target group {gid}"
        assert groups[gid] == {structure}


@pytest.mark.parametrize("pid", IDS["programmes"])
def test_programme_has_its_end(base, pid):
    statuses = decided(base, "programme").get(pid)
    assert statuses and "abolished" in statuses, f"{pid}: no rule abolishes it"


@pytest.mark.parametrize("tid", IDS["trials"])
def test_trial_defined(base, tid):
    assert tid in decided(base, "trial")


def test_sanction_values_are_all_used(base):
    assert set(decided(base, "sanctionable")) - {"undetermined"} == set(IDS["sanctionable"])


@pytest.mark.parametrize("row", sorted(IDS["contact_rows"]))
def test_contact_row_is_a_rule(base, row):
    for rid in IDS["contact_rows"][row]:
        assert rid in base.ruleset.by_id, f"{row}: no rule {rid}"
        assert base.ruleset.rule(rid).family == "obligation"


def test_every_rule_cites_a_source_and_states_its_status(base):
    for r in base.ruleset.rules:
        assert r.source and r.status in ("law", "guidance", "bill", "agreement", "provisional"), r.id
        if r.status == "provisional":
            assert r.reason, r.id
