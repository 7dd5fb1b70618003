"""The situation space as columns (logic/probe_grid.py) is the space of ``probes``, ``possible_on`` and
``situation_codes``, probe by probe: for the fictional law whole, and for the real law's fields (the largest,
the contact requirements' 54,900 probes, on a seeded sample)."""
from __future__ import annotations

from conftest import sampled
from reform_rules.logic.probe_grid import ProbeGrid
from reform_rules.logic.situation_codes import Components
from reform_rules.logic.situations import Bands, check_dates, family_keys, possible_on, probes


def _same_space(base, sample: int | None = None) -> int:
    rs, program = base.ruleset, base.program
    bands = Bands([program], rs.vocabulary)
    days = check_dates([program], *rs.vocabulary.horizon)
    comp = Components(rs.vocabulary, program)
    ids: dict = {}
    every: dict[tuple, object] = {}
    keyed: dict[object, tuple] = {}
    checked = 0
    for field in rs.answer.fields:
        keys = family_keys(rs, field.then) | {rs.vocabulary.current.kind}
        grid = ProbeGrid(rs, bands, keys)
        codes, possible, identity = grid.codes(comp), grid.possible(days), grid.identity(ids)
        expected = list(probes(rs, bands, keys))
        assert grid.size == len(expected)
        numbers = sorted(identity)
        rows = sampled(len(expected), sample, field.then)
        for i in rows:
            probe = expected[i]
            assert grid.probe(i) == probe
            assert possible[i].tolist() == [possible_on(probe, day, bands) for day in days]
            assert tuple(codes[:, i].tolist()) == comp.situation_codes(probe.situation(days[0]))[0]
            # equal probes of two fields, equal numbers (the proof counts its situations so)
            key = tuple((n, int(identity[n][i])) for n in numbers if identity[n][i])
            assert every.setdefault(key, probe) == probe and keyed.setdefault(probe, key) == key
            checked += 1
    return checked


def test_the_grid_is_the_fictional_space_probe_by_probe(library):
    assert _same_space(library) > 10


def test_the_grid_is_the_real_space(base):
    assert _same_space(base, sample=1500) > 5000
