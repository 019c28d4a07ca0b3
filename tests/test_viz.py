"""The visual toolkit: kernel-free explorers and players (self-contained, deterministic HTML), the
live (anywidget) mode, the numbers the animations show, and the plot helpers."""

from __future__ import annotations

import configparser
import json
import re
import time
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from IPython.core.formatters import DisplayFormatter
from matplotlib.figure import Figure

from layers_lib import viz

SANITIZE_CFG = Path(__file__).with_name("nbval_sanitize.cfg")
PARAMS = {"kernel_size": [1, 3, 5], "stride": [1, 2], "padding": [0, 1]}


@pytest.fixture(autouse=True)
def _isolated_figures():
    """viz.setup changes rcParams: keep that inside each test; close every figure afterwards."""
    with matplotlib.rc_context():
        yield
    plt.close("all")


def nbval_sanitize(text: str) -> str:
    """Apply exactly the replacements nbval applies before comparing stored and fresh outputs."""
    cfg = configparser.ConfigParser()
    cfg.read(SANITIZE_CFG)
    for section in cfg.sections():
        text = re.sub(cfg[section]["regex"], cfg[section]["replace"], text)
    return text


def draw_arith(kernel_size, stride, padding):
    """A frame as the chapters build them: a grid panel whose size depends on the setting."""
    n = 5 + 2 * padding
    out = (n - kernel_size) // stride + 1
    return viz.frame(viz.grid(["p" * n] * padding + ["p" * padding + "c" * 5 + "p" * padding] * 5
                              + ["p" * n] * padding, title=f"input, padding {padding}"),
                     viz.grid(["c" * out] * out, title=f"output {out}×{out}"),
                     title=f"kernel {kernel_size}, stride {stride}, padding {padding}")


def readout_arith(kernel_size, stride, padding):
    out = (5 + 2 * padding - kernel_size) // stride + 1
    return f"output: <b>{out}</b> = ⌊(5 + 2·{padding} − {kernel_size})/{stride}⌋ + 1"


@pytest.fixture(scope="module")
def explorer():
    return viz.explore(draw_arith, PARAMS, readout=readout_arith, title="Convolution arithmetic",
                       mode="static", initial={"kernel_size": 3})


def embedded_data(html: str) -> dict:
    match = re.search(r'<script type="application/json" class="ll-data">(.*?)</script>', html, re.S)
    assert match, "no embedded data"
    return json.loads(match.group(1))


# ---------------------------------------------------------------------------------------------
# Static explorers
# ---------------------------------------------------------------------------------------------

def test_explorer_holds_exactly_one_frame_per_setting(explorer):
    n = 3 * 2 * 2
    assert len(explorer) == len(explorer.frames) == len(explorer.settings) == n
    assert explorer.settings[0] == {"kernel_size": 1, "stride": 1, "padding": 0}
    assert explorer.settings[-1] == {"kernel_size": 5, "stride": 2, "padding": 1}
    assert len({json.dumps(f) for f in explorer.frames}) == n  # every setting has its own frame
    for setting, frame in zip(explorer.settings, explorer.frames, strict=True):
        out = (5 + 2 * setting["padding"] - setting["kernel_size"]) // setting["stride"] + 1
        assert frame["panels"][1]["r"] == frame["panels"][1]["c"] == out
        assert frame["panels"][0]["r"] == 5 + 2 * setting["padding"]
    data = embedded_data(explorer.html)
    assert data["frames"] == explorer.frames  # the page holds the data itself, nothing else
    assert explorer.settings[explorer.start] == {"kernel_size": 3, "stride": 1, "padding": 0}
    assert data["start"] == explorer.start
    assert data["labels"] == [["1", "3", "5"], ["1", "2"], ["0", "1"]]
    assert data["readouts"] == explorer.readouts and data["alts"] == explorer.alts
    assert explorer.readouts[explorer.settings.index({"kernel_size": 5, "stride": 2, "padding": 1})] == \
        "output: <b>2</b> = ⌊(5 + 2·1 − 5)/2⌋ + 1"
    assert 0 < explorer.payload < 20_000


def test_explorer_html_is_self_contained_vector_and_accessible(explorer):
    # the SVG namespace and the clip path's in-page reference are not fetched from anywhere
    html = explorer.html.replace('"http://www.w3.org/2000/svg"', "").replace('"url(#"', "")
    for banned in ("http", "//cdn", "require.js", "<script src", "<link", "@import", "url(", "<img",
                   "data:image", "<canvas"):
        assert banned not in html, banned
    assert html.startswith('<div class="ll-explorer" id="ll-')
    assert html.count('type="range"') == 3 and html.count('class="ll-slider"') == 3
    for name in PARAMS:
        assert re.search(rf'<label class="ll-control">{name} <input type="range" class="ll-slider" '
                         rf'data-param="{name}"[^>]* aria-label="{name}"', html), name
    assert html.count('class="ll-figure" role="img"') == 1
    assert ('<div class="ll-figure" role="img" aria-label="Convolution arithmetic: kernel_size = 3, '
            'stride = 1, padding = 0">') in html
    assert '<div class="ll-readout" aria-live="polite">output: <b>3</b>' in html
    assert html.count("<script") == 2 and html.count("</script>") == 2
    assert "uuid" not in html.lower() and not re.search(r"0x[0-9a-f]{6,}", html)
    # the theme: light colours by default, dark ones on the website's, JupyterLab's, VS Code's dark pages
    for host in ('html[data-theme="dark"] .ll-explorer', 'body[data-jp-theme-light="false"] .ll-explorer',
                 "body.vscode-dark .ll-explorer"):
        assert host in html


def test_explorer_html_is_identical_across_builds_with_nothing_to_sanitise(explorer):
    again = viz.explore(draw_arith, PARAMS, readout=readout_arith, title="Convolution arithmetic",
                        mode="static", initial={"kernel_size": 3})
    assert again.html == explorer.html  # nbval compares it as it is: every frame's data is checked
    assert nbval_sanitize(explorer.html) == explorer.html
    assert repr(again) == repr(explorer) == \
        "Explorer('Convolution arithmetic': kernel_size × stride × padding, 12 frames)"
    other = viz.explore(draw_arith, PARAMS, readout=readout_arith, title="Another title", mode="static")
    assert re.search(r'id="(ll-\w+)"', other.html)[1] != re.search(r'id="(ll-\w+)"', explorer.html)[1]


def test_static_explorer_displays_html_and_text_only(explorer):
    data, _ = DisplayFormatter().format(explorer)
    assert set(data) == {"text/plain", "text/html"}
    assert data["text/html"] == explorer.html
    assert data["text/plain"] == repr(explorer)
    assert not hasattr(explorer, "_ipython_display_")
    assert not hasattr(explorer, "_repr_mimebundle_")


def test_a_matplotlib_draw_becomes_vector_svg_and_its_figures_are_closed():
    before = plt.get_fignums()

    def draw(a):
        plt.figure()  # a stray extra figure must not leak into the notebook either
        fig, ax = plt.subplots(figsize=(2, 1.5))
        ax.plot([0, 1], [0, a])
        ax.set_title(f"slope {a}")
        return fig

    ex = viz.explore(draw, {"a": [1, 3]}, mode="static")
    assert plt.get_fignums() == before
    assert len(ex) == 2
    for a, frame in zip([1, 3], ex.frames, strict=True):
        (panel,) = frame["panels"]
        assert panel["t"] == "svg" and panel["svg"].startswith("<svg")
        assert f"slope {a}" in panel["svg"]  # real text, not paths or pixels
        assert "<image" not in panel["svg"]


def test_explorer_accepts_a_chart_or_a_panel_and_has_default_alt_text():
    def draw(a):
        chart = viz.Chart(title="line")
        chart.line([0, 1], [0, a])
        return chart

    ex = viz.explore(draw, {"a": [0.5, 2]}, title="T", mode="static")
    assert ex.alts == ["T: a = 0.5", "T: a = 2"]
    assert ex.readouts == ["", ""]
    assert [f["panels"][0]["marks"][0]["y"] for f in ex.frames] == [[0, 0.5], [0, 2]]
    custom = viz.explore(lambda a: viz.grid(["c" * a]), {"a": [1, 2]}, alt=lambda a: f"A picture of {a}",
                         mode="static")
    assert custom.alts == ["A picture of 1", "A picture of 2"]
    assert [f["panels"][0]["c"] for f in custom.frames] == [1, 2]


def test_readout_plain_text_is_escaped_simple_tags_kept():
    ex = viz.explore(lambda a: viz.grid(["c"]), {"a": [1]}, mode="static",
                     readout=lambda a: "a < b & c <b>bold</b> x<sub>i</sub><br/><script>alert(1)</script>")
    assert ex.readouts == ["a &lt; b &amp; c <b>bold</b> x<sub>i</sub><br>"
                           "&lt;script&gt;alert(1)&lt;/script&gt;"]
    assert ex.html.count("</script>") == 2
    assert "<script>alert" not in ex.html


def test_frame_text_cannot_close_the_data_script():
    ex = viz.explore(lambda a: viz.grid(["c"], title="</script><script>alert(1)</script>"), {"a": [1]},
                     mode="static")
    assert ex.html.count("</script>") == 2
    assert embedded_data(ex.html)["frames"][0]["panels"][0]["title"] == "</script><script>alert(1)</script>"


def test_predict_hides_the_answer_until_the_reader_has_typed_one():
    ex = viz.explore(draw_arith, PARAMS, readout=readout_arith, mode="static",
                     predict=("Output size?", lambda kernel_size, stride, padding:
                              str((5 + 2 * padding - kernel_size) // stride + 1)))
    assert ex.question == "Output size?"
    assert [a[0] for a in ex.answers] == [str((5 + 2 * s["padding"] - s["kernel_size"]) // s["stride"] + 1)
                                          for s in ex.settings]
    assert embedded_data(ex.html)["answers"] == ex.answers
    assert '<form class="ll-predict"><label>Output size? <input type="text" class="ll-guess"' in ex.html
    assert 'class="ll-reveal"' in ex.html and 'class="ll-verdict" aria-live="polite"' in ex.html
    with pytest.raises(TypeError, match="predict as"):
        viz.explore(draw_arith, PARAMS, mode="static", predict="Output size?")


def test_auto_mode_is_static_without_a_kernel_or_with_the_env_var(monkeypatch):
    draw = lambda a: viz.grid(["c"])  # noqa: E731
    monkeypatch.delenv("LAYERS_LIB_STATIC", raising=False)
    assert isinstance(viz.explore(draw, {"a": [1, 2]}), viz.Explorer)  # pytest runs no kernel

    class FakeShell:
        kernel = object()

    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: FakeShell())
    assert isinstance(viz.explore(draw, {"a": [1, 2]}), viz.LiveExplorer)
    for value, static in (("1", True), ("yes", True), ("0", False), ("", False)):
        monkeypatch.setenv("LAYERS_LIB_STATIC", value)
        assert viz.static_mode() is static
        assert isinstance(viz.explore(draw, {"a": [1, 2]}), viz.Explorer if static else viz.LiveExplorer)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(params={}), TypeError, "non-empty dict"),
    (dict(params={"a": []}), TypeError, "non-empty list of values for 'a'"),
    (dict(params={"a": "abc"}), TypeError, "non-empty list"),
    (dict(params={"not a name": [1]}), ValueError, "identifiers"),
    (dict(params={"a": list(range(21)), "b": list(range(20))}), ValueError, "420 is too many"),
    (dict(params={"a": [1]}, mode="widget"), ValueError, "mode 'auto', 'static' or 'live'"),
    (dict(params={"a": [1]}, initial={"a": 7}), ValueError, "initial a=7"),
    (dict(params={"a": [1]}, initial={"b": 1}), ValueError, "initial b=1"),
])
def test_explore_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        viz.explore(lambda **s: viz.grid(["c"]), **{"mode": "static", **kwargs})


def test_draw_must_return_a_frame():
    with pytest.raises(TypeError, match=r"draw\(\*\*setting\) must return a frame.*got NoneType"):
        viz.explore(lambda a: None, {"a": [1]}, mode="static")


@pytest.mark.parametrize("call, message", [
    (lambda: viz.grid(["cc", "c"]), "rows of equal, non-zero length"),
    (lambda: viz.grid(["cz"]), "role letters"),
    (lambda: viz.grid(["cc"], labels=[["1"]]), "1×2 labels"),
    (lambda: viz.grid(["cc"], heat=[[0.5]]), "heat of shape (1, 2)"),
    (lambda: viz.frame("not a panel"), "frame expected grid, message or Chart panels"),
    (lambda: viz.Chart().line([1, 2], [1]), "x and y of one length"),
    (lambda: viz.Chart().rule(), "exactly one of x or y"),
])
def test_scene_builders_reject_bad_input_clearly(call, message):
    with pytest.raises((ValueError, TypeError), match=re.escape(message)):
        call()


def test_chart_limits_ticks_and_log_axes():
    chart = viz.Chart(ylog=True)
    chart.line([1, 2, 3], [1e-3, 1e-1, 10.0])
    panel = chart.to_dict()
    assert panel["marks"][0]["y"] == [-3, -1, 1]  # log10 of the data, drawn linearly
    assert [label for _, label in panel["yt"]] == ["10⁻³", "10⁻²", "10⁻¹", "1", "10"]
    assert viz.nice_ticks(0, 100) == [0.0, 25.0, 50.0, 75.0, 100.0]
    long = viz.Chart()
    long.line(np.arange(1000), np.arange(1000) ** 2)
    marks = long.to_dict()["marks"][0]
    assert len(marks["x"]) <= 120 and marks["x"][0] == 0 and marks["x"][-1] == 999
    assert marks["y"][-1] == 998000  # 999² rounded to four significant digits


@pytest.mark.slow
def test_explorer_builds_240_frames_quickly():
    """The conv chapter's explorer: 240 settings, their data under the 250 KB budget, in a few
    seconds of CPU (measured as this process' CPU time, so a busy machine cannot make it flaky)."""
    start = time.process_time()
    ex = viz.conv.geometry_explorer(h=7, w=7)
    seconds = time.process_time() - start
    assert len(ex) == 240
    assert seconds < 10, f"240 frames took {seconds:.1f} s of CPU"
    assert ex.payload <= 250_000, f"{ex.payload / 1000:.0f} KB"


# ---------------------------------------------------------------------------------------------
# Live explorers
# ---------------------------------------------------------------------------------------------

def test_live_mode_recomputes_when_a_slider_moves():
    calls = []

    def draw(kernel_size, stride, padding):
        calls.append({"kernel_size": kernel_size, "stride": stride, "padding": padding})
        return draw_arith(kernel_size, stride, padding)

    live = viz.explore(draw, PARAMS, readout=readout_arith, title="Live", mode="live", initial={"stride": 2})
    assert isinstance(live, viz.LiveExplorer)
    assert calls == [{"kernel_size": 1, "stride": 2, "padding": 0}]
    frame = live.widget.frame
    assert frame["k"] == 2 and live.widget.data == {"labels": [["1", "3", "5"], ["1", "2"], ["0", "1"]],
                                                     "start": 2}
    assert frame["readout"] == live.readout == "output: <b>3</b> = ⌊(5 + 2·0 − 1)/2⌋ + 1"
    assert frame["alt"] == live.alt == "Live: kernel_size = 1, stride = 2, padding = 0"
    assert frame["scene"] == live.scene == draw_arith(1, 2, 0)

    assert live.widget.request == [2, 0]
    # what the browser does when a slider moves: it sets `request` to [frame index, serial]
    live.widget.request = [2 * 4 + 1 * 2 + 0, 1]  # kernel_size 5, stride 2, padding 0
    assert calls[-1] == {"kernel_size": 5, "stride": 2, "padding": 0}
    assert live.setting == calls[-1] and live.calls == 2
    assert live.widget.frame["k"] == 10
    assert live.widget.frame["readout"] == "output: <b>1</b> = ⌊(5 + 2·0 − 5)/2⌋ + 1"
    assert live.widget.frame["scene"]["panels"][1]["r"] == 1
    assert live.widget.frame["alt"] == "Live: kernel_size = 5, stride = 2, padding = 0"

    live.set(padding=1)
    assert calls[-1] == {"kernel_size": 5, "stride": 2, "padding": 1} and len(calls) == 3
    assert live.widget.request == [11, 2]
    live.widget.request = [11, 3]  # asking again for the frame shown computes it again (no stale wait)
    assert len(calls) == 4 and live.widget.frame["k"] == 11
    with pytest.raises(ValueError, match=r"LiveExplorer.set: \{'padding': 7\} is not a setting"):
        live.set(padding=7)

    # a setting that cannot be drawn says so in the read-out instead of leaving a stale picture
    def broken(kernel_size, stride, padding):
        if padding:
            raise ValueError("no padding here")
        return draw_arith(kernel_size, stride, padding)

    fragile = viz.explore(broken, PARAMS, title="Fragile", mode="live")
    with pytest.raises(ValueError, match="no padding here"):
        fragile.widget.request = [1, 1]  # padding 1
    assert fragile.widget.frame == {"k": 1, "readout": "<b>Could not draw this setting</b> — ValueError: "
                                                       "no padding here"}

    # the front end is the static explorer's HTML and renderer: same sliders, no script of its own
    html = live.widget.html
    assert html.startswith('<div class="ll-explorer" id="ll-') and 'data-lm-suppress-shortcuts="true"' in html
    assert html.count('class="ll-slider"') == 3 and "<script" not in html
    from layers_lib.viz import _live, _widget

    assert _widget._BIND_JS in live.widget._esm and _widget._BIND_JS in _widget._JS
    assert live.widget._esm == _live._ESM
    assert hasattr(live, "_ipython_display_")
    assert repr(live) == "LiveExplorer('Live': kernel_size × stride × padding)"

    asks = viz.explore(draw_arith, PARAMS, mode="live", predict=("Size?", lambda **s: "7"))
    assert asks.widget.frame["answer"] == ["7", ["7"]] and 'class="ll-predict"' in asks.widget.html


# ---------------------------------------------------------------------------------------------
# Animations: the numbers they show
# ---------------------------------------------------------------------------------------------

def as_pair(v):
    return (v, v) if isinstance(v, int) else v


def reference_conv(x, w, stride, padding, dilation):
    """Cross-correlation written out with loops, independent of viz."""
    (sh, sw), (ph, pw), (dh, dw) = as_pair(stride), as_pair(padding), as_pair(dilation)
    xp = np.pad(x, ((ph, ph), (pw, pw)))
    kh, kw = w.shape
    Ho = (xp.shape[0] - dh * (kh - 1) - 1) // sh + 1
    Wo = (xp.shape[1] - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            for a in range(kh):
                for b in range(kw):
                    y[i, j] += xp[i * sh + a * dh, j * sw + b * dw] * w[a, b]
    return y


def full_conv_with_flipped_kernel(dy, w, stride, padding, dilation, input_shape):
    """The input gradient the textbook way: zeros between dy's cells (stride), a full
    cross-correlation with the flipped, dilated kernel, then crop the padding."""
    (sh, sw), (ph, pw), (dh, dw) = as_pair(stride), as_pair(padding), as_pair(dilation)
    H, W = input_shape
    kh, kw = w.shape
    wd = np.zeros((dh * (kh - 1) + 1, dw * (kw - 1) + 1))
    wd[::dh, ::dw] = w
    up = np.zeros(((dy.shape[0] - 1) * sh + 1, (dy.shape[1] - 1) * sw + 1))
    up[::sh, ::sw] = dy
    Hp, Wp = H + 2 * ph, W + 2 * pw
    canvas = np.zeros((Hp + wd.shape[0] - 1, Wp + wd.shape[1] - 1))
    top, left = wd.shape[0] - 1, wd.shape[1] - 1
    canvas[top:top + up.shape[0], left:left + up.shape[1]] = up
    flipped = wd[::-1, ::-1]
    dxp = np.array([[np.sum(canvas[r:r + wd.shape[0], c:c + wd.shape[1]] * flipped) for c in range(Wp)]
                    for r in range(Hp)])
    return dxp[ph:ph + H, pw:pw + W]


CONV_CASES = [
    # (x shape, kernel shape, stride, padding, dilation)
    ((5, 5), (3, 3), 1, 0, 1),
    ((5, 5), (3, 3), 1, 1, 1),
    ((5, 5), (3, 3), 2, 1, 1),
    ((5, 5), (3, 3), 1, 0, 2),
    ((7, 6), (3, 3), 2, 2, 2),
    ((4, 6), (2, 3), (1, 2), (0, 1), 1),
    ((6, 5), (3, 2), (2, 1), (1, 0), (2, 1)),
    ((5, 5), (1, 1), 3, 0, 1),
    ((3, 3), (3, 3), 1, 0, 1),
    ((4, 4), (5, 5), 4, 2, 1),  # kernel larger than the input, stride larger than the kernel
]


def parse_conv_readout(readout: str):
    match = re.fullmatch(r"<b>y\[(\d+), (\d+)\]</b> = (.*) = <b>(.*)</b>", readout)
    assert match, readout
    terms = [t.split("·") for t in match[3].split(" + ")]
    number = lambda s: float(s.replace("−", "-").strip("()"))  # noqa: E731
    return int(match[1]), int(match[2]), [(number(a), number(b)) for a, b in terms], number(match[4])


@pytest.mark.parametrize("xs, ks, stride, padding, dilation", CONV_CASES)
def test_conv_animation_frames_and_sums_match_direct_cross_correlation(xs, ks, stride, padding, dilation):
    rng = np.random.default_rng(0)
    x = rng.integers(-3, 4, size=xs).astype(float)
    w = rng.integers(-2, 3, size=ks).astype(float)
    anim = viz.conv_animation(x, w, stride=stride, padding=padding, dilation=dilation)
    expected = reference_conv(x, w, stride, padding, dilation)
    Ho, Wo = expected.shape
    assert len(anim) == len(anim.frames) == len(anim.readouts) == len(anim.alts) == Ho * Wo
    np.testing.assert_array_equal(anim.result, expected)
    (sh, sw), (ph, pw), (dh, dw) = as_pair(stride), as_pair(padding), as_pair(dilation)
    xp = np.pad(x, ((ph, ph), (pw, pw)))
    for step, readout in enumerate(anim.readouts):
        i, j, terms, total = parse_conv_readout(readout)
        assert (i, j) == divmod(step, Wo)  # row-major order, one frame per output position
        taps = [xp[i * sh + a * dh, j * sw + b * dw] for a in range(ks[0]) for b in range(ks[1])]
        assert [a for a, _ in terms] == taps
        assert [b for _, b in terms] == list(w.ravel())
        assert total == sum(a * b for a, b in terms) == expected[i, j]
        assert f"output y[{i}, {j}] = " in anim.alts[step]


def test_conv_animation_float_values_are_rounded_consistently():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(4, 4)), rng.normal(size=(2, 2))
    anim = viz.conv_animation(x, w, padding=1)
    expected = reference_conv(x, w, 1, 1, 1)
    np.testing.assert_allclose(anim.result, expected, rtol=1e-12, atol=1e-12)
    for readout in anim.readouts:
        i, j, terms, total = parse_conv_readout(readout)
        assert abs(total - expected[i, j]) <= 0.005 + 1e-12
        numbers = re.findall(r"−?\d+(?:\.\d+)?", readout.split("</b> = ", 1)[1])
        assert len(numbers) == 2 * 4 + 1 and all(re.fullmatch(r"−?\d+\.\d\d", n) for n in numbers)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(h=st.integers(1, 6), w=st.integers(1, 6), kh=st.integers(1, 4), kw=st.integers(1, 4),
       sh=st.integers(1, 3), sw=st.integers(1, 3), ph=st.integers(0, 2), pw=st.integers(0, 2),
       dh=st.integers(1, 3), dw=st.integers(1, 3))
def test_conv_animation_any_setting_gives_right_frames_or_clear_error(h, w, kh, kw, sh, sw, ph, pw, dh, dw):
    rng = np.random.default_rng(h * 7 + w)
    x = rng.integers(-3, 4, size=(h, w)).astype(float)
    k = rng.integers(-2, 3, size=(kh, kw)).astype(float)
    fits = h + 2 * ph >= dh * (kh - 1) + 1 and w + 2 * pw >= dw * (kw - 1) + 1
    if not fits:
        with pytest.raises(ValueError, match="conv_animation: the kernel spans"):
            viz.conv_animation(x, k, (sh, sw), (ph, pw), (dh, dw))
        return
    anim = viz.conv_animation(x, k, (sh, sw), (ph, pw), (dh, dw))
    expected = reference_conv(x, k, (sh, sw), (ph, pw), (dh, dw))
    floor_formula = ((h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1)
    assert expected.shape == floor_formula
    assert len(anim.frames) == expected.size
    np.testing.assert_array_equal(anim.result, expected)


@pytest.mark.parametrize("xs, ks, stride, padding, dilation", CONV_CASES)
def test_conv_backward_is_a_full_convolution_with_the_flipped_kernel(xs, ks, stride, padding, dilation):
    rng = np.random.default_rng(2)
    Ho, Wo = reference_conv(np.zeros(xs), np.zeros(ks), stride, padding, dilation).shape
    dy = rng.integers(-2, 3, size=(Ho, Wo)).astype(float)
    w = rng.integers(-2, 3, size=ks).astype(float)
    anim = viz.conv_backward_animation(dy, w, stride, padding, dilation, input_shape=xs)
    assert len(anim.frames) == Ho * Wo
    assert anim.result.shape == xs
    expected = full_conv_with_flipped_kernel(dy, w, stride, padding, dilation, xs)
    np.testing.assert_array_equal(anim.result, expected)
    # and it is the gradient: <dy, conv(x)> is linear in x with gradient dx
    x = rng.normal(size=xs)
    assert np.isclose(np.sum(dy * reference_conv(x, w, stride, padding, dilation)), np.sum(anim.result * x))
    first = f"{dy[0, 0]:.0f}".replace("-", "−")
    assert anim.readouts[0].startswith(f"<b>dy[0, 0]</b> = {first} adds dy·w to rows 0")
    assert "Done" in anim.readouts[-1] and all("Done" not in r for r in anim.readouts[:-1])


def test_conv_backward_animation_matches_torch():
    import torch

    rng = np.random.default_rng(3)
    x = torch.tensor(rng.normal(size=(1, 1, 7, 6)), requires_grad=True)
    w = rng.normal(size=(3, 2))
    y = torch.nn.functional.conv2d(x, torch.tensor(w)[None, None], stride=(2, 1), padding=(1, 1),
                                   dilation=(2, 2))
    dy = rng.normal(size=y.shape[2:])
    y.backward(torch.tensor(dy)[None, None])
    anim = viz.conv_backward_animation(dy, w, (2, 1), (1, 1), (2, 2), input_shape=(7, 6))
    np.testing.assert_allclose(anim.result, x.grad.numpy()[0, 0], rtol=1e-12, atol=1e-12)


def test_conv_backward_default_input_shape_is_the_smallest():
    anim = viz.conv_backward_animation(np.ones((2, 2)), np.ones((3, 3)), stride=2, padding=1)
    assert anim.result.shape == (3, 3)  # (2 - 1)·2 + 3 − 2
    with pytest.raises(ValueError, match="gives an output of shape"):
        viz.conv_backward_animation(np.ones((2, 2)), np.ones((3, 3)), stride=2, input_shape=(7, 7))
    with pytest.raises(ValueError, match="no input gives dy"):
        viz.conv_backward_animation(np.ones((1, 1)), np.ones((1, 1)), padding=1)


def reference_pool(x, k, s, p, mode):
    (kh, kw), (sh, sw), (ph, pw) = as_pair(k), as_pair(s), as_pair(p)
    xp = np.pad(x, ((ph, ph), (pw, pw)), constant_values=-np.inf if mode == "max" else 0.0)
    Ho, Wo = (xp.shape[0] - kh) // sh + 1, (xp.shape[1] - kw) // sw + 1
    f = np.max if mode == "max" else (lambda a: np.sum(a) / a.size)
    return np.array([[f(xp[i * sh:i * sh + kh, j * sw:j * sw + kw]) for j in range(Wo)] for i in range(Ho)])


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("xs, k, s, p", [((4, 4), 2, None, 0), ((5, 5), 2, 2, 1), ((5, 7), 3, 2, 1),
                                         ((6, 5), (2, 3), (1, 2), (1, 1)), ((3, 3), 3, 1, 0)])
def test_pool_animation_frames_and_values(mode, xs, k, s, p):
    import torch

    rng = np.random.default_rng(4)
    x = rng.permutation(np.arange(np.prod(xs))).reshape(xs).astype(float)  # no ties
    anim = viz.pool_animation(x, k, stride=s, padding=p, mode=mode)
    expected = reference_pool(x, k, k if s is None else s, p, mode)
    assert len(anim.frames) == expected.size
    np.testing.assert_allclose(anim.result, expected, rtol=1e-12)
    pool = torch.nn.functional.max_pool2d if mode == "max" else torch.nn.functional.avg_pool2d
    torch_y = pool(torch.tensor(x)[None, None], k, stride=s, padding=p)[0, 0].numpy()
    np.testing.assert_allclose(anim.result, torch_y, rtol=1e-12)
    for step, readout in enumerate(anim.readouts):
        i, j = divmod(step, expected.shape[1])
        assert readout.startswith(f"<b>y[{i}, {j}]</b> = {'max(' if mode == 'max' else '('}")
        if mode == "max":
            row, col = map(int, re.search(r"at row (−?\d+), column (−?\d+)", readout).groups())
            assert x[row, col] == expected[i, j]  # the arg-max shown is a real input cell


def test_pool_animation_first_maximum_wins_a_tie():
    anim = viz.pool_animation(np.array([[1.0, 5.0], [5.0, 0.0]]), 2)
    assert anim.readouts[0].endswith("(at row 0, column 1)")


@pytest.mark.parametrize("call, message", [
    (lambda: viz.conv_animation(np.ones((2, 2)), np.ones((3, 3))), "the kernel spans 3 cells"),
    (lambda: viz.conv_animation(np.ones((2, 2)), np.ones((2, 2)), dilation=2), "dilation 2"),
    (lambda: viz.conv_animation(np.ones((20, 20)), np.ones((3, 3))), "18×18 is too many"),
    (lambda: viz.conv_animation(np.ones(5), np.ones((3, 3))), "expected x as a non-empty 2-D"),
    (lambda: viz.conv_animation(np.ones((5, 5)), np.ones((1, 3, 3))), "expected kernel as a non-empty 2-D"),
    (lambda: viz.conv_animation(np.ones((5, 5)), np.ones((3, 3)), stride=0), "stride >= 1"),
    (lambda: viz.conv_animation(np.ones((5, 5)), np.ones((3, 3)), padding=-1), "padding >= 0"),
    (lambda: viz.pool_animation(np.ones((4, 4)), 2, mode="min"), "mode 'max' or 'avg'"),
    (lambda: viz.pool_animation(np.ones((4, 4)), 2, padding=2), "at most half the kernel size"),
])
def test_animations_reject_bad_input_clearly(call, message):
    with pytest.raises((ValueError, TypeError), match=re.escape(message)):
        call()


def test_player_html_is_self_contained_deterministic_and_accessible():
    x = np.arange(16.0).reshape(4, 4)
    a = viz.conv_animation(x, np.ones((2, 2)), stride=2, title="Demo")
    b = viz.conv_animation(x, np.ones((2, 2)), stride=2, title="Demo")
    assert nbval_sanitize(a.html) == nbval_sanitize(b.html)
    html = a.html.replace('"http://www.w3.org/2000/svg"', "")  # the SVG namespace, not a URL
    for banned in ("http", "//cdn", "require.js", "<script src"):
        assert banned not in html
    assert html.startswith('<div class="ll-player"')
    assert html.count('class="ll-slider"') == 1 and 'data-param="step"' in html
    assert "<img" not in html and "data:image" not in html
    assert len(embedded_data(html)["frames"]) == 4
    # each button's accessible name contains its visible word (axe: label-content-name-mismatch);
    # the arrow symbols are hidden from assistive technology
    assert '<button type="button" class="ll-prev" aria-label="Prev: previous step">' in html
    assert '<button type="button" class="ll-play" aria-pressed="false">' in html
    assert '<button type="button" class="ll-next" aria-label="Next step">' in html
    assert html.count('<span aria-hidden="true">') == 3 + 2  # 3 buttons + 2 in the script's Play/Pause
    assert embedded_data(html)["labels"] == [["1 of 4", "2 of 4", "3 of 4", "4 of 4"]]
    assert repr(a) == "Animation('Demo': 4 steps)"
    assert set(DisplayFormatter().format(a)[0]) == {"text/plain", "text/html"}


def test_animation_builds_quickly_and_stays_small():
    start = time.process_time()
    anim = viz.conv_animation(np.arange(25.0).reshape(5, 5) % 4, np.eye(3), padding=1)
    seconds = time.process_time() - start
    assert len(anim) == 25
    assert seconds < 3, f"25 frames took {seconds:.1f} s of CPU"
    assert len(anim.html) < 300_000, f"{len(anim.html) / 1024:.0f} KB"


# ---------------------------------------------------------------------------------------------
# Setup and plot helpers
# ---------------------------------------------------------------------------------------------

def test_setup_returns_a_seeded_generator_and_sets_compact_defaults():
    a, b = viz.setup(seed=3), viz.setup(seed=3)
    assert isinstance(a, np.random.Generator)
    assert a.normal() == b.normal()
    assert plt.rcParams["figure.dpi"] <= 90 and plt.rcParams["image.cmap"] == "viridis"
    assert plt.rcParams["axes.grid"] is False


def titled_and_labelled(fig: Figure) -> bool:
    visible = [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]
    has_title = bool(fig.get_suptitle()) or all(ax.get_title() for ax in visible)
    x_label = bool(fig.get_supxlabel()) or all(ax.get_xlabel() for ax in visible)
    y_label = bool(fig.get_supylabel()) or all(ax.get_ylabel() for ax in visible)
    return has_title and x_label and y_label


@pytest.mark.parametrize("make", [
    lambda: viz.show_grid(np.arange(12).reshape(3, 4)),
    lambda: viz.show_feature_maps(np.random.default_rng(0).normal(size=(1, 5, 6, 6)), title="conv1"),
    lambda: viz.show_kernels(np.random.default_rng(0).normal(size=(6, 3, 3, 3))),
    lambda: viz.show_kernels(np.random.default_rng(0).normal(size=(2, 3, 5, 5)), channel="all"),
    lambda: viz.show_kernels(np.ones((3, 3))),
    lambda: viz.show_images(np.random.default_rng(0).random(size=(5, 8, 8)), labels=list("abcde")),
    lambda: viz.show_images(np.random.default_rng(0).normal(size=(3, 3, 8, 8))),
    lambda: viz.show_images(np.random.default_rng(0).random(size=(2, 8, 8, 3))),
    lambda: viz.plot_curves({"train": [3, 2, 1.5], "test": [3, 2.5, 2.2]}, xlabel="epoch", ylabel="loss"),
    lambda: viz.plot_curves({"err": [1e-3, 1e-6]}, x=[1e-2, 1e-4], logx=True, logy=True, title="steps"),
    lambda: viz.plot_functions(np.linspace(-2, 2, 9), {"relu": (lambda x: np.maximum(x, 0), lambda x: x > 0),
                                                       "id": (np.linspace(-2, 2, 9), np.ones(9))}),
    lambda: viz.heatmap(np.eye(3), xlabels=list("abc"), ylabels=list("xyz"), annotate=True),
    lambda: viz.bar_counts({"cat": 3, "dog": 5}),
    lambda: viz.bar_counts(np.array([1, 2, 3]), labels=["a", "b", "c"], title="c"),
    lambda: viz.histograms({"layer 1": np.arange(10.0), "layer 2": np.ones(5)}),
])
def test_plot_helpers_return_titled_labelled_figures(make):
    fig = make()
    assert isinstance(fig, Figure)
    assert titled_and_labelled(fig)
    assert fig in [plt.figure(n) for n in plt.get_fignums()]  # pyplot-managed: shown inline


def test_show_grid_annotates_cells_and_draws_into_a_given_axes():
    fig, ax = plt.subplots()
    out = viz.show_grid(np.array([[1.0, -2.0], [3.0, 4.0]]), ax=ax, title="g", fmt="{:.1f}")
    assert out is fig
    assert [t.get_text() for t in ax.texts] == ["1.0", "−2.0", "3.0", "4.0"]


def test_show_kernels_picks_the_input_channel():
    w = np.arange(2 * 3 * 2 * 2, dtype=float).reshape(2, 3, 2, 2)
    fig = viz.show_kernels(w, channel=1)
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), w[0, 1])
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == ["filter 0", "filter 1"]
    with pytest.raises(ValueError, match="channel in 0..2"):
        viz.show_kernels(w, channel=3)


@pytest.mark.parametrize("call, error, message", [
    (lambda: viz.show_grid(np.ones(3)), ValueError, "show_grid expected a 2-D non-empty array, got shape"),
    (lambda: viz.show_grid(np.array([["a"]])), TypeError, "numeric array"),
    (lambda: viz.show_images(np.ones((2, 4, 5, 5))), ValueError, "1 or 3 colour channels"),
    (lambda: viz.show_images(np.ones((2, 5, 5)), labels=["a"]), ValueError, "expected 2 labels"),
    (lambda: viz.show_feature_maps(np.ones((2, 3, 3)), titles=["a"]), ValueError, "expected 2 titles"),
    (lambda: viz.plot_curves([1, 2]), TypeError, "dict name -> values"),
    (lambda: viz.plot_curves({"a": [1, 2]}, x=[1, 2, 3]), ValueError, "has 2 values but x has 3"),
    (lambda: viz.plot_functions([0, 1], {"f": np.sin}), TypeError, "'f': (f, df)"),
    (lambda: viz.heatmap(np.eye(2), xlabels=["a"]), ValueError, "expected 2 xlabels"),
    (lambda: viz.bar_counts([1, 2], labels=["a"]), ValueError, "expected 2 labels"),
    (lambda: viz.histograms({}), TypeError, "non-empty dict"),
])
def test_plot_helpers_reject_bad_input_clearly(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_show_source_renders_a_python_block():
    source = viz.show_source(viz.setup)
    markdown = source._repr_markdown_()
    assert markdown.startswith("```python\ndef setup(seed: int = 0)") and markdown.endswith("\n```\n")
    assert repr(source).startswith("def setup(")
    assert set(DisplayFormatter().format(source)[0]) == {"text/plain", "text/markdown"}
