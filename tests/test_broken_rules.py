"""The corpus of broken rule files: each is refused with its exact message, quickly, no traceback."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, run_cli

CASES = sorted(p for p in (Path(__file__).parent / "fixtures" / "broken").iterdir() if (p / "case.yaml").is_file()) \
    if (Path(__file__).parent / "fixtures" / "broken").is_dir() else []


def _generate(kind: str, target: Path) -> None:
    if kind == "alias-bomb":
        lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
        lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 12)]
        target.write_text("\n".join(lines) + "\n")
    elif kind == "huge-file":
        with target.open("w") as f:
            f.write("subject: huge\nrules:\n")
            chunk = "  - {id: x, title: {da: x, en: x}, valid: {}, status: law, source: [{ref: LAB}]}\n" * 1000
            while f.tell() < 50 * 1024 * 1024:
                f.write(chunk)
    else:
        raise ValueError(kind)


def apply_case(case_dir: Path, rules: Path) -> dict:
    spec = yaml.safe_load((case_dir / "case.yaml").read_text())
    for name in spec.get("delete") or []:
        (rules / name).unlink()
    for key in ("replace", "add"):
        name = spec.get(key)
        if not name:
            continue
        if spec.get("generate"):
            _generate(spec["generate"], rules / name)
        else:
            shutil.copyfile(case_dir / name, rules / name)
    for name in spec.get("also") or []:
        shutil.copyfile(case_dir / name, rules / name)
    return spec


@pytest.mark.parametrize("case_dir", CASES, ids=lambda p: p.name)
def test_broken_rule_file_is_refused(case_dir, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    spec = apply_case(case_dir, rules)
    result = run_cli("check", "--rules", str(rules))
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "Traceback" not in out
    for expected in spec["expect"]:
        assert expected in out, f"expected {expected!r} in:\n{out}"


def test_the_corpus_is_large():
    assert len(CASES) >= 30 or not CASES
