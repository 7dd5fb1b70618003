"""The proof asks the engine about a few cells per field (logic/unit_cover.py) and judges every other cell from
their units' parts: the rules it takes to hold in a cell are those the engine derives for that very cell —
every cell of the fictional law, a seeded sample of each field of the real law."""
from __future__ import annotations

import numpy as np

from conftest import sampled

from reform_rules.logic.compiler import situation_facts
from reform_rules.logic.completeness import field_proof
from reform_rules.logic.parallel import Holdings
from reform_rules.logic.probe_grid import Cells, ProbeGrid
from reform_rules.logic.situation_codes import Analysis, Components
from reform_rules.logic.situations import Bands, check_dates, family_keys


def _cells_agree(base, sample: int | None = None) -> int:
    rs, program = base.ruleset, base.program
    bands = Bands([program], rs.vocabulary)
    days = check_dates([program], *rs.vocabulary.horizon)
    an = Analysis(rs, Components(rs.vocabulary, program))
    checked = 0
    for family in program.families:
        grid = ProbeGrid(rs, bands, family_keys(rs, family) | {rs.vocabulary.current.kind})
        probe_of, day_of = np.nonzero(grid.possible(days))
        cells = Cells(grid, probe_of, day_of, days)
        field = field_proof(an, family, cells, {})
        holdings = Holdings(base, workers=1)
        said = np.empty(len(cells), dtype=object)
        for rows, holding in field.holding(an, holdings.get(holdings.add([(f, family) for f in field.facts]))):
            for i in rows.tolist():
                said[i] = holding
        assert len(field.picks) <= len(cells)
        rows = sampled(len(cells), sample, family)
        for i in rows:
            facts = situation_facts(cells.situation(i), program)
            assert said[i] == base.kb.holding([facts], family)[0], (family, cells.situation(i))
            checked += 1
    return checked


def test_every_cell_of_the_fictional_law_gets_the_rules_the_engine_derives_for_it(library):
    assert _cells_agree(library) > 10


def test_cells_of_the_real_law_get_the_rules_the_engine_derives_for_them(base):
    assert _cells_agree(base, sample=100) > 400
