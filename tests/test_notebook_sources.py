"""Each chapter is authored as a jupytext percent script in book/src/ and committed as a notebook
with outputs. This test keeps the two from drifting apart: the cells of every notebook must be
exactly the cells of its source script."""

from __future__ import annotations

from itertools import pairwise

import jupytext
import nbformat
import pytest
from site_helpers import ROOT

SOURCES = sorted((ROOT / "book" / "src").glob("*.py"))


def _notebook_for(src):
    matches = [p for p in (ROOT / "book").rglob(f"{src.stem}.ipynb") if ".ipynb_checkpoints" not in p.parts]
    assert len(matches) == 1, f"{src.name}: expected one notebook named {src.stem}.ipynb, found {matches}"
    return matches[0]


@pytest.mark.parametrize("src", SOURCES, ids=[s.stem for s in SOURCES])
def test_notebook_cells_match_their_source(src):
    expected = [(c.cell_type, c.source) for c in jupytext.read(src).cells]
    actual = [(c.cell_type, c.source) for c in nbformat.read(_notebook_for(src), as_version=4).cells]
    assert actual == expected, f"{src.name} and its notebook differ: convert it with jupytext and re-run"


def test_every_notebook_has_a_source():
    notebooks = {p.stem for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts}
    assert notebooks == {s.stem for s in SOURCES}


@pytest.mark.parametrize("src", SOURCES, ids=[s.stem for s in SOURCES])
def test_each_run_of_prints_is_stored_as_one_output(src):
    """The website draws every stream output as a box of its own: a table printed row by row
    between training runs would be a stack of one-row boxes. ``scripts/run_notebooks.py`` joins
    consecutive prints; outputs stored some other way fail here."""
    split = []
    for i, cell in enumerate(nbformat.read(_notebook_for(src), as_version=4).cells):
        outs = cell.get("outputs", [])
        split += [i for a, b in pairwise(outs)
                  if a.output_type == b.output_type == "stream" and a.name == b.name]
    assert split == [], f"{src.name}: cells {split} store consecutive prints as separate outputs"
