"""What the committed notebooks store for their figures.

* Explorers and players hold their frames as data, which nbval compares exactly: nothing in
  them may be touched by the sanitiser, none holds a raster image or a matplotlib drawing, and
  each stays within the 250 KB a web page can afford.
* Static matplotlib figures are stored for a device pixel ratio of 2: the PNG is twice as wide as
  the width it is shown at (the ``width`` metadata myst-nb and JupyterLab honour).
* No plotting code in ``layers_lib.viz`` asks for a font under ``viz.MIN_FONT_PT`` (10 pt, i.e.
  11 CSS px at the 80 dpi figures are shown at).
"""

from __future__ import annotations

import base64
import configparser
import io
import json
import re

import nbformat
import pytest
from PIL import Image
from site_helpers import ROOT

from layers_lib import viz

NOTEBOOKS = sorted(p for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
SANITIZE = configparser.ConfigParser()
SANITIZE.read(ROOT / "tests" / "nbval_sanitize.cfg")
DATA = re.compile(r'<script type="application/json" class="ll-data">(.*?)</script>', re.S)


def sanitised(text: str) -> str:
    for section in SANITIZE.sections():
        text = re.sub(SANITIZE[section]["regex"], SANITIZE[section]["replace"], text)
    return text


def outputs(path):
    for cell in nbformat.read(path, as_version=4).cells:
        yield from cell.get("outputs", [])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_explorers_store_their_frames_as_data_that_nbval_compares(path):
    for output in outputs(path):
        html = output.get("data", {}).get("text/html", "")
        html = "".join(html) if isinstance(html, list) else html
        if not re.search(r'class="ll-(explorer|player)"', html):
            continue
        where = f"{path.name}: {re.search(r'class=.ll-caption.>([^<]*)<', html)[1]}"
        assert sanitised(html) == html, f"{where}: the sanitiser would hide part of it from nbval"
        assert "data:image" not in html and "<img" not in html, f"{where}: a raster image"
        match = DATA.search(html)
        assert match, where
        assert len(match[1].encode()) <= 250_000, f"{where}: {len(match[1].encode()) / 1000:.0f} KB"
        data = json.loads(match[1])
        panels = [p for frame in data["frames"] for p in frame["panels"]]
        assert panels and all(p["t"] in ("grid", "chart", "msg") for p in panels), \
            f"{where}: a frame is not data (a matplotlib drawing?)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_static_figures_are_stored_at_twice_their_shown_size(path):
    for output in outputs(path):
        png = output.get("data", {}).get("image/png")
        if not png:
            continue
        shown = output.get("metadata", {}).get("image/png", {}).get("width")
        assert shown, f"{path.name}: a figure without its display width (not stored for 2× screens)"
        width = Image.open(io.BytesIO(base64.b64decode(png))).width
        assert abs(width - 2 * shown) <= 2, f"{path.name}: a {width} px PNG shown at {shown} px"


def test_no_plotting_code_asks_for_a_font_under_the_minimum():
    small = []
    for path in sorted((ROOT / "layers_lib" / "viz").glob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for match in re.finditer(r"\b(fontsize|labelsize|size)\s*=\s*(\d+(?:\.\d+)?)\b", line):
                if match[1] == "size" and not re.search(r"\.(text|annotate|set_\w+)\(|fontdict", line):
                    continue  # marker sizes, array sizes
                if float(match[2]) < viz.MIN_FONT_PT:
                    small.append(f"{path.name}:{number}: {line.strip()}")
    assert small == [], "\n".join(small)
