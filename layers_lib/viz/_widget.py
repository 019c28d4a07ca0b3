"""The interactive figure in the page: one HTML skeleton and one JavaScript renderer for every
explorer and player, on the website (all settings precomputed, no kernel) and live in a kernel
(through anywidget, see :mod:`layers_lib.viz._live`).

A figure is data (:mod:`layers_lib.viz._scene`): the renderer draws each frame's panels as SVG with
real text — selectable, sharp at any zoom and pixel density, 12 px whatever the page width, in
colours that follow the page's light or dark theme — and re-draws when the page width changes.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import re
from collections.abc import Mapping, Sequence
from functools import cached_property

import numpy as np

MAX_FRAMES = 400  # per explorer or player: every frame is data in the page
MAX_PAYLOAD = 250_000  # bytes of frame data an explorer may put in a page

# Light palette first; dark pages (the website's dark mode, JupyterLab's dark theme, VS Code,
# Colab) get their own. Every text/background pair has a contrast of at least 4.5:1.
_DARK_HOSTS = ('html[data-theme="dark"]', 'body[data-jp-theme-light="false"]', "body.vscode-dark",
               'html[theme="dark"]')
_LIGHT = ("--ll-bg:#ffffff;--ll-ink:#1b1b1b;--ll-muted:#4a4a4a;--ll-rule:#8c8c8c;--ll-gridline:#e4e4e4;"
          "--ll-cell:#ffffff;--ll-pad:#d4d4d4;--ll-padink:#333333;--ll-tap:#f6b48f;--ll-strong:#d95f45;"
          "--ll-second:#a6cde3;--ll-empty:#f0f0f0;--ll-never:#a3a3a3;--ll-kernel:#fbd3bd;--ll-drop:#595959;"
          "--ll-dropink:#ffffff;--ll-heat:#1f3b73;--ll-cold:#b2182b;--ll-hotink:#ffffff;--ll-a:#b2182b;"
          "--ll-b:#1f5f99;--ll-right:#1b6e3a;--ll-wrong:#a3242b;"
          "--ll-c0:#1f3b73;--ll-c1:#c65302;--ll-c2:#17785c;--ll-c3:#6a5fb0;--ll-c4:#555555;--ll-c5:#c2185b")
_DARK = ("--ll-bg:#1d2127;--ll-ink:#ececec;--ll-muted:#c4c4c4;--ll-rule:#9a9a9a;--ll-gridline:#3a4048;"
         "--ll-cell:#272c33;--ll-pad:#474d55;--ll-padink:#f0f0f0;--ll-tap:#a8552b;--ll-strong:#e07a5f;"
         "--ll-second:#2f5f86;--ll-empty:#2f343b;--ll-never:#6c7178;--ll-kernel:#7a4a33;--ll-drop:#9aa0a8;"
         "--ll-dropink:#111111;--ll-heat:#9dbdff;--ll-cold:#ff8a80;--ll-hotink:#111111;--ll-a:#ff8a80;"
         "--ll-b:#8fc1ff;--ll-right:#7fd99a;--ll-wrong:#ff9a9a;"
         "--ll-c0:#9dbdff;--ll-c1:#ffab5e;--ll-c2:#5fd3a8;--ll-c3:#d49bff;--ll-c4:#c8c8c8;--ll-c5:#ff85b9")

_ROOTS = ".ll-explorer,.ll-player"
_CSS = (
    f"{_ROOTS}{{{_LIGHT};color:var(--ll-ink);background:var(--ll-bg);margin:.6em 0;max-width:100%;"
    "box-sizing:border-box;padding:.5em .6em;border:1px solid var(--ll-gridline);border-radius:6px;"
    "font-size:14px;line-height:1.4}"
    + "".join(f"{host} .ll-explorer,{host} .ll-player{{{_DARK}}}" for host in _DARK_HOSTS)
    + ".ll-caption{font-weight:600;margin-bottom:.3em}"
    ".ll-controls{display:flex;flex-wrap:wrap;gap:.3em 1.4em;align-items:center;margin-bottom:.4em}"
    ".ll-control{display:inline-flex;align-items:center;gap:.45em;white-space:nowrap}"
    ".ll-value{min-width:2.2em;font-weight:600;font-variant-numeric:tabular-nums}"
    ".ll-buttons{display:inline-flex;gap:.4em}"
    ".ll-buttons button,.ll-predict button{padding:.15em .7em;cursor:pointer;font:inherit;"
    "color:var(--ll-ink);background:var(--ll-empty);border:1px solid var(--ll-rule);border-radius:4px}"
    ".ll-predict{display:flex;flex-wrap:wrap;gap:.4em .6em;align-items:center;margin:.2em 0 .5em}"
    ".ll-predict input{width:7em;font:inherit;color:var(--ll-ink);background:var(--ll-bg);"
    "border:1px solid var(--ll-rule);border-radius:4px;padding:.1em .3em}"
    ".ll-verdict{font-weight:600}.ll-verdict.ll-right{color:var(--ll-right)}.ll-verdict.ll-wrong{color:var(--ll-wrong)}"
    ".ll-figure{max-width:100%;overflow:hidden}"
    ".ll-ftitle{font-weight:600;margin:.1em 0 .3em}"
    ".ll-panels{display:flex;flex-wrap:wrap;gap:.6em 1.4em;align-items:flex-start}"
    ".ll-panel{display:flex;flex-direction:column;max-width:100%;position:relative}"
    ".ll-ptitle{font-size:13px;margin-bottom:.15em}"
    ".ll-msg{max-width:32em;padding:.5em .7em;border-left:3px solid var(--ll-strong)}"
    ".ll-notes{white-space:pre-wrap;font-size:13px;margin-top:.3em;font-variant-numeric:tabular-nums}"
    ".ll-legend{display:flex;flex-wrap:wrap;gap:.1em 1em;font-size:12px;margin-top:.1em}"
    ".ll-legend .ll-svg{display:inline-block;vertical-align:middle;margin-right:.3em}"
    ".ll-readout{margin-top:.3em;min-height:1.4em;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}"
    ".ll-explorer sup,.ll-explorer sub,.ll-player sup,.ll-player sub{font-size:12px}"
    ".ll-svg{display:block;overflow:visible}.ll-vector svg{max-width:100%;height:auto}"
    ".ll-svg text{font-family:inherit;font-size:12px;fill:var(--ll-ink)}"
    ".ll-svg .ll-idx,.ll-svg .ll-tick{fill:var(--ll-muted)}.ll-svg .ll-bold{font-weight:700}"
    ".ll-svg rect{stroke:var(--ll-rule);stroke-width:1}"
    ".ll-fc{fill:var(--ll-cell)}.ll-fp{fill:var(--ll-pad)}.ll-ft{fill:var(--ll-tap)}"
    ".ll-fs{fill:var(--ll-strong)}.ll-fb{fill:var(--ll-second)}.ll-fe{fill:var(--ll-empty)}"
    ".ll-fx{fill:var(--ll-never)}.ll-fk{fill:var(--ll-kernel)}.ll-fd{fill:var(--ll-drop)}.ll-fh{fill:var(--ll-bg)}"
    ".ll-svg .ll-ip{fill:var(--ll-padink)}.ll-svg .ll-id{fill:var(--ll-dropink)}.ll-svg .ll-hot{fill:var(--ll-hotink)}"
    ".ll-cross{stroke:var(--ll-ink);stroke-width:1.4}"
    ".ll-svg .ll-outline{fill:none;stroke:var(--ll-ink);stroke-width:2.5}"
    ".ll-svg .ll-boxa{fill:none;stroke:var(--ll-a);stroke-width:2.5}"
    ".ll-svg .ll-boxb{fill:none;stroke:var(--ll-b);stroke-width:2.5;stroke-dasharray:6 3}"
    ".ll-svg .ll-boxk{fill:none;stroke:var(--ll-ink);stroke-width:1.5;stroke-dasharray:4 3}"
    ".ll-dota{fill:var(--ll-a)}.ll-svg .ll-dotb{fill:none;stroke:var(--ll-b);stroke-width:2.2}"
    ".ll-svg .ll-axes{fill:none;stroke:var(--ll-rule)}.ll-gl{stroke:var(--ll-gridline);stroke-width:1}"
    ".ll-rule{stroke:var(--ll-muted);stroke-width:1}.ll-dash{stroke-dasharray:6 4}"
    ".ll-line{fill:none;stroke-linejoin:round;stroke-linecap:round}"
    ".ll-svg .ll-band{stroke:none;opacity:.25}.ll-svg .ll-bar{stroke:none}"
    + "".join(f".ll-s{i}{{stroke:var(--ll-c{i})}}.ll-svg .ll-g{i}{{fill:var(--ll-c{i})}}" for i in range(6))
    + ".ll-svg .ll-hollow{fill:var(--ll-bg);stroke-width:2}"
    ".ll-hiding .ll-answer>*,.ll-hiding .ll-readout{visibility:hidden}"
    ".ll-hiding .ll-answer::after{content:'?';position:absolute;inset:0;display:flex;align-items:center;"
    "justify-content:center;font-size:2.2em;font-weight:700;color:var(--ll-muted);"
    "border:2px dashed var(--ll-rule);border-radius:6px}"
)

# The one renderer behind every explorer and player: ``bind(root, d, live)`` wires the sliders,
# buttons, figure and read-out of one ``.ll-explorer`` / ``.ll-player`` element and draws frames.
# Static (the website, a trusted notebook): ``d.frames`` holds every frame. Live (a kernel,
# through anywidget): ``live.request(k)`` asks Python for frame ``k`` and ``live.receive`` gets it;
# while one frame is being computed, further moves only update the labels, and the newest
# setting is requested as soon as the frame arrives, so dragging a slider never floods the kernel.
# Keys pressed inside the figure stay there: JupyterLab's command-mode shortcuts (ArrowLeft
# collapses a heading, "a"/"b" insert cells) must not fire while a reader steps through settings,
# and a click on a slider must leave the focus on the slider.
_BIND_JS = r"""function (root, d, live) {
  if (!root || root.getAttribute("data-ll-bound")) return;
  root.setAttribute("data-ll-bound", "1");
  var NS = "http://www.w3.org/2000/svg", CH = 7.3;
  var fig = root.querySelector(".ll-figure"), out = root.querySelector(".ll-readout");
  var sliders = root.querySelectorAll(".ll-slider"), shown = root.querySelectorAll(".ll-value");
  var form = root.querySelector(".ll-predict"), waiting = false, pending = null, now = null;
  var uid = 0, drawnWidth = 0, guessed = !form;
  ["keydown", "mousedown", "focusin"].forEach(function (type) {
    root.addEventListener(type, function (e) { e.stopPropagation(); });
  });
  function svg(tag, attrs, parent) {
    var e = document.createElementNS(NS, tag);
    for (var a in attrs) if (attrs[a] !== undefined && attrs[a] !== null) e.setAttribute(a, attrs[a]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function div(cls, parent, text) {
    var e = document.createElement("div");
    e.className = cls;
    if (text !== undefined) e.textContent = text;
    parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, s, cls, anchor) {
    var t = svg("text", {x: x, y: y, "class": cls || "", "text-anchor": anchor || "middle",
                         "dominant-baseline": "central"}, parent);
    t.textContent = s;
    return t;
  }
  function len(s) { return String(s).length; }
  function gridPanel(p, room) {
    var R = p.r, C = p.c, widest = 1, i, j;
    if (p.i0 !== undefined) {
      p = Object.assign({}, p, {ri: [], ci: []});
      for (i = 0; i < R; i++) p.ri.push(String(p.i0 + i).replace("-", "\u2212"));
      for (j = 0; j < C; j++) p.ci.push(String(p.i0 + j).replace("-", "\u2212"));
    }
    if (p.labels) for (i = 0; i < R; i++) for (j = 0; j < C; j++) widest = Math.max(widest, len(p.labels[i][j]));
    var need = p.labels ? Math.ceil(CH * widest + 8) : 14;
    var left = p.ri ? Math.ceil(CH * Math.max.apply(null, p.ri.map(len)) + 8) : 1, top = p.ci ? 20 : 1;
    if (p.ci) need = Math.max(need, Math.ceil(CH * Math.max.apply(null, p.ci.map(len)) + 4));
    var cell = Math.max(need, p.cell || 30), fit = Math.floor((room - left - 4) / C);
    if (fit < cell) cell = Math.max(need, fit);
    var W = left + C * cell + 3, H = top + R * cell + 3;
    var s = svg("svg", {width: W, height: H, viewBox: "0 0 " + W + " " + H, "class": "ll-svg", "data-cell": cell});
    function cx(j) { return left + 1 + j * cell; }
    function cy(i) { return top + 1 + i * cell; }
    for (i = 0; i < R; i++) for (j = 0; j < C; j++) {
      var role = p.fill[i].charAt(j), x = cx(j), y = cy(i), hot = false;
      if (role === "_") continue;
      var r = svg("rect", {x: x, y: y, width: cell, height: cell, "class": "ll-f" + role}, s);
      r.setAttribute("data-role", role);
      if (role === "h" && p.heat) {
        r.setAttribute("style", "fill:color-mix(in srgb, var(--ll-heat) " + Math.round(100 * p.heat[i][j]) +
                       "%, var(--ll-bg))");
        hot = p.heat[i][j] > 0.55;
      }
      if (role === "x") {  // a large cross, or a small one in the top-right corner of a cell with a number
        var small = p.labels && p.labels[i][j] !== "", x0 = x + cell * (small ? 0.7 : 0.3),
            x1 = x + cell * (small ? 0.9 : 0.7), y0 = y + cell * (small ? 0.1 : 0.3), y1 = y + cell * (small ? 0.3 : 0.7);
        svg("path", {d: "M" + x0 + " " + y0 + "L" + x1 + " " + y1 + "M" + x1 + " " + y0 + "L" + x0 + " " + y1,
                     "class": "ll-cross"}, s);
      }
      if (p.labels && p.labels[i][j] !== "")
        text(s, x + cell / 2, y + cell / 2, p.labels[i][j], "ll-i" + role + (hot ? " ll-hot" : ""));
    }
    (p.dots || []).forEach(function (q) {
      var x = cx(q[1]) + cell / 2, y = cy(q[0]) + cell / 2;
      if (q[2] === "a") svg("circle", {cx: x, cy: y, r: Math.max(3, cell * 0.2), "class": "ll-dota"}, s);
      else svg("rect", {x: x - cell * 0.32, y: y - cell * 0.32, width: cell * 0.64, height: cell * 0.64,
                        "class": "ll-dotb"}, s);
    });
    (p.outline || []).forEach(function (q) {
      svg("rect", {x: cx(q[1]) + 1.5, y: cy(q[0]) + 1.5, width: cell - 3, height: cell - 3, "class": "ll-outline"}, s);
    });
    (p.boxes || []).forEach(function (q) {
      svg("rect", {x: cx(q[1]) - 1, y: cy(q[0]) - 1, width: q[3] * cell + 2, height: q[2] * cell + 2,
                   "class": "ll-box" + q[4]}, s);
    });
    (p.ri || []).forEach(function (t, i) { text(s, left - 4, cy(i) + cell / 2, t, "ll-idx", "end"); });
    (p.ci || []).forEach(function (t, j) { text(s, cx(j) + cell / 2, top - 10, t, "ll-idx"); });
    return s;
  }
  function chartPanel(p, room) {
    var W = Math.max(180, Math.min(p.w || 360, room)), H = p.h || 230, ylw = 1;
    p.yt.forEach(function (t) { ylw = Math.max(ylw, len(t[1])); });
    var L = Math.ceil(CH * ylw) + 9 + (p.yl ? 20 : 0), B = 24 + (p.xl ? 18 : 0), T = 9, Rt = 14;
    var x0 = p.x[0], x1 = p.x[1], y0 = p.y[0], y1 = p.y[1], pw = W - L - Rt, ph = H - T - B;
    if (p.equal) {
      var k = Math.min(pw / (x1 - x0), ph / (y1 - y0));
      pw = k * (x1 - x0); ph = k * (y1 - y0); W = L + pw + Rt; H = T + ph + B;
    }
    function X(v) { return L + (v - x0) / (x1 - x0) * pw; }
    function Y(v) { return T + (y1 - v) / (y1 - y0) * ph; }
    var s = svg("svg", {width: Math.ceil(W), height: Math.ceil(H), viewBox: "0 0 " + Math.ceil(W) + " " + Math.ceil(H),
                        "class": "ll-svg"});
    var id = "ll-clip-" + (++uid) + "-" + Math.floor(Math.random() * 1e9);
    svg("rect", {x: L, y: T, width: pw, height: ph}, svg("clipPath", {id: id}, svg("defs", {}, s)));
    p.xt.forEach(function (t) {
      var x = X(t[0]);
      if (x < L - 0.5 || x > L + pw + 0.5) return;
      svg("line", {x1: x, x2: x, y1: T, y2: T + ph, "class": "ll-gl"}, s);
      text(s, x, T + ph + 11, t[1], "ll-tick");
    });
    p.yt.forEach(function (t) {
      var y = Y(t[0]);
      if (y < T - 0.5 || y > T + ph + 0.5) return;
      svg("line", {x1: L, x2: L + pw, y1: y, y2: y, "class": "ll-gl"}, s);
      text(s, L - 5, y, t[1], "ll-tick", "end");
    });
    svg("rect", {x: L, y: T, width: pw, height: ph, "class": "ll-axes"}, s);
    if (p.xl) text(s, L + pw / 2, H - 9, p.xl, "ll-axis");
    if (p.yl) text(s, 0, 0, p.yl, "ll-axis").setAttribute("transform", "translate(9," + (T + ph / 2) + ") rotate(-90)");
    var g = svg("g", {"clip-path": "url(#" + id + ")"}, s);
    p.marks.forEach(function (m) {
      var i, c = m.c === undefined ? 0 : m.c, dpath = "";
      if (m.m === "line" || m.m === "arrow") {
        var pen = false;
        for (i = 0; i < m.x.length; i++) {
          if (m.x[i] === null || m.y[i] === null) { pen = false; continue; }
          dpath += (pen ? "L" : "M") + X(m.x[i]).toFixed(1) + " " + Y(m.y[i]).toFixed(1);
          pen = true;
        }
        svg("path", {d: dpath, "class": "ll-line ll-s" + c + (m.dash ? " ll-dash" : ""), "stroke-width": m.w || 2}, g);
        if (m.m === "arrow") {
          var ax = X(m.x[1]), ay = Y(m.y[1]), ang = Math.atan2(ay - Y(m.y[0]), ax - X(m.x[0])), h = 9;
          svg("path", {d: "M" + ax + " " + ay + "L" + (ax - h * Math.cos(ang - 0.4)) + " " + (ay - h * Math.sin(ang - 0.4)) +
                       "L" + (ax - h * Math.cos(ang + 0.4)) + " " + (ay - h * Math.sin(ang + 0.4)) + "Z",
                       "class": "ll-g" + c}, g);
        }
      } else if (m.m === "pt") {
        for (i = 0; i < m.x.length; i++) {
          if (m.x[i] === null || m.y[i] === null) continue;
          svg("circle", {cx: X(m.x[i]), cy: Y(m.y[i]), r: Array.isArray(m.r) ? m.r[i] : m.r,
                         "class": m.hollow ? "ll-hollow ll-s" + c : "ll-g" + c}, g);
        }
      } else if (m.m === "bar") {
        for (i = 0; i < m.x.length; i++) {
          if (m.y[i] === null) continue;
          var xa = X(m.x[i] - m.bw / 2), xb = X(m.x[i] + m.bw / 2), ya = Y(Math.max(m.y[i], m.y0)), yb = Y(Math.min(m.y[i], m.y0));
          svg("rect", {x: xa, y: ya, width: Math.max(1, xb - xa), height: Math.max(0.5, yb - ya), "class": "ll-bar ll-g" + c}, g);
        }
      } else if (m.m === "band") {
        for (i = 0; i < m.x.length; i++) dpath += (i ? "L" : "M") + X(m.x[i]).toFixed(1) + " " + Y(m.hi[i]).toFixed(1);
        for (i = m.x.length - 1; i >= 0; i--) dpath += "L" + X(m.x[i]).toFixed(1) + " " + Y(m.lo[i]).toFixed(1);
        svg("path", {d: dpath + "Z", "class": "ll-band ll-g" + c}, g);
      } else if (m.m === "rule") {
        if (m.x !== undefined) svg("line", {x1: X(m.x), x2: X(m.x), y1: T, y2: T + ph, "class": "ll-rule" + (m.dash ? " ll-dash" : "")}, g);
        else svg("line", {x1: L, x2: L + pw, y1: Y(m.y), y2: Y(m.y), "class": "ll-rule" + (m.dash ? " ll-dash" : "")}, g);
      } else if (m.m === "cells") {
        m.v.forEach(function (row, r) {
          row.forEach(function (v, j) {
            var xa = X(m.x0 + j * m.dx), xb = X(m.x0 + (j + 1) * m.dx), ya = Y(m.y0 + r * m.dy), yb = Y(m.y0 + (r + 1) * m.dy);
            var colour = m.div ? (v < 0 ? "var(--ll-cold)" : "var(--ll-heat)") : "var(--ll-heat)";
            svg("rect", {x: Math.min(xa, xb), y: Math.min(ya, yb), width: Math.abs(xb - xa), height: Math.abs(yb - ya),
                         "shape-rendering": "crispEdges",
                         style: "stroke:none;fill:color-mix(in srgb, " + colour + " " + Math.round(100 * Math.abs(v)) + "%, var(--ll-bg))"}, g);
            if (m.labels) text(s, (xa + xb) / 2, (ya + yb) / 2, m.labels[r][j], Math.abs(v) > 0.55 ? "ll-hot" : "");
          });
        });
      } else if (m.m === "text") {
        text(s, X(m.x), Y(m.y) + (m.dy || 0), m.s, (m.c !== undefined ? "ll-g" + m.c : "") + (m.b ? " ll-bold" : ""), m.a);
      }
    });
    return s;
  }
  function legend(parent, items) {
    var box = div("ll-legend", parent);
    items.forEach(function (it) {
      var span = document.createElement("span"), sw = svg("svg", {width: 22, height: 12, "class": "ll-svg", "aria-hidden": "true"}, span);
      if (it[0] === "pt") svg("circle", {cx: 11, cy: 6, r: 4, "class": "ll-g" + it[1]}, sw);
      else if (it[0] === "hollow") svg("circle", {cx: 11, cy: 5.5, r: 3.8, "class": "ll-hollow ll-s" + it[1]}, sw);
      else if (it[0] === "bar") svg("rect", {x: 3, y: 1, width: 16, height: 10, "class": "ll-bar ll-g" + it[1]}, sw);
      else svg("path", {d: "M1 6L21 6", "class": "ll-line ll-s" + it[1] + (it[0] === "dash" ? " ll-dash" : ""), "stroke-width": 2}, sw);
      span.appendChild(document.createTextNode(it[2]));
      box.appendChild(span);
    });
  }
  function render(f) {
    now = f;
    var scene = f.scene, room = Math.max(200, fig.clientWidth || root.clientWidth || 600);
    drawnWidth = fig.clientWidth;
    fig.textContent = "";
    fig.setAttribute("aria-label", f.alt || "");
    if (scene.title) div("ll-ftitle", fig, scene.title);
    var row = div("ll-panels", fig);
    scene.panels.forEach(function (p) {
      var box = div("ll-panel" + (p.answer ? " ll-answer" : ""), row), title = p.title ? div("ll-ptitle", box, p.title) : null;
      if (p.t === "msg") { div("ll-msg", box, p.text); return; }
      if (p.t === "svg") { div("ll-vector", box).innerHTML = p.svg; return; }
      var s = p.t === "grid" ? gridPanel(p, room) : chartPanel(p, room);
      box.appendChild(s);
      if (title) title.style.maxWidth = Math.max(160, Number(s.getAttribute("width"))) + "px";
      if (p.legend) legend(box, p.legend);
    });
    if (scene.notes) div("ll-notes", fig, scene.notes.join("\n"));
  }
  function draw(k, f) {
    render(f);
    out.innerHTML = f.readout || "";
    root.setAttribute("data-frame", String(k));
    if (form) {
      guessed = false;
      root.classList.add("ll-hiding");
      form.querySelector(".ll-verdict").textContent = "";
      form.querySelector(".ll-guess").value = "";
    }
  }
  function frameAt(k) { return {scene: d.frames[k], alt: d.alts[k], readout: d.readouts[k], answer: d.answers && d.answers[k]}; }
  function show() {
    var k = 0;
    for (var i = 0; i < sliders.length; i++) {
      var v = Number(sliders[i].value), label = d.labels[i][v];
      k = k * d.labels[i].length + v;
      shown[i].textContent = label;
      sliders[i].setAttribute("aria-valuetext", label);
    }
    if (!live) { draw(k, frameAt(k)); return; }
    if (waiting) { pending = k; return; }
    if (String(k) === root.getAttribute("data-frame")) return;
    waiting = true;
    live.request(k);
  }
  if (live) {
    live.receive = function (f) {
      if (f.scene) draw(f.k, f);
      else { out.innerHTML = f.readout || ""; root.setAttribute("data-frame", String(f.k)); }
      waiting = false;
      var next = pending;
      pending = null;
      if (next !== null && next !== f.k) { waiting = true; live.request(next); }
    };
  }
  if (form) {
    var verdict = form.querySelector(".ll-verdict"), guess = form.querySelector(".ll-guess");
    var norm = function (s) {
      return String(s).toLowerCase().replace(/[\s()\[\]]/g, "").replace(/[x*,]/g, "\u00d7").replace(/\u2212/g, "-");
    };
    var reveal = function (message, cls) {
      guessed = true;
      root.classList.remove("ll-hiding");
      verdict.textContent = message;
      verdict.className = "ll-verdict" + (cls ? " " + cls : "");
    };
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var a = (now && now.answer) || ["", []];
      if (!guess.value.trim()) { verdict.textContent = "Type your prediction first."; return; }
      var right = a[1].some(function (x) { return norm(x) === norm(guess.value); });
      reveal(right ? "Right: " + a[0] + "." : "Not quite: you said " + guess.value.trim() + "; it is " + a[0] + ".",
             right ? "ll-right" : "ll-wrong");
    });
    form.querySelector(".ll-reveal").addEventListener("click", function () {
      reveal("The answer: " + ((now && now.answer) || [""])[0] + ".", "");
    });
  }
  for (var i = 0; i < sliders.length; i++) sliders[i].addEventListener("input", show);
  if (window.ResizeObserver) {
    new ResizeObserver(function () {
      if (now && Math.abs(fig.clientWidth - drawnWidth) > 4) { var keep = guessed; render(now); guessed = keep; }
    }).observe(fig);
  }
  if (live) { if (live.current && live.current.scene) live.receive(live.current); } else show();
  var play = root.querySelector(".ll-play");
  if (!play) return;
  var step = sliders[0], n = d.labels[0].length, timer = null;
  var go = function (delta) { step.value = String((Number(step.value) + delta + n) % n); show(); };
  var stop = function () {
    if (timer !== null) clearInterval(timer);
    timer = null;
    play.innerHTML = '<span aria-hidden="true">\u25b6</span> Play';
    play.setAttribute("aria-pressed", "false");
    out.setAttribute("aria-live", "polite");
  };
  root.querySelector(".ll-prev").addEventListener("click", function () { stop(); go(-1); });
  root.querySelector(".ll-next").addEventListener("click", function () { stop(); go(1); });
  step.addEventListener("input", stop);
  play.addEventListener("click", function () {
    if (timer !== null) { stop(); return; }
    out.setAttribute("aria-live", "off");
    play.innerHTML = '<span aria-hidden="true">\u275a\u275a</span> Pause';
    play.setAttribute("aria-pressed", "true");
    timer = setInterval(function () { go(1); }, d.interval);
  });
}"""

# Inline in every static snippet: binds every explorer/player on the page that is not bound yet
# (its data lives in its own <script type="application/json">), however the page inserted the
# HTML: parsed with the page (the website), or inserted later by JupyterLab or the classic notebook.
_JS = """(function () {
  var bind = """ + _BIND_JS + """;
  function start(root) {
    var holder = root && root.querySelector && root.querySelector("script.ll-data");
    if (holder && !root.getAttribute("data-ll-bound")) bind(root, JSON.parse(holder.textContent));
  }
  var me = document.currentScript;
  if (me) start(me.parentNode);
  var all = document.querySelectorAll(".ll-explorer, .ll-player");
  for (var i = 0; i < all.length; i++) start(all[i]);
})();"""

_SIMPLE_TAG = re.compile(r"&lt;(/?)(b|i|em|strong|sub|sup|code|small|br)\s*/?&gt;")

_NO_SCRIPT = ("This interactive figure is drawn by JavaScript. On the website it runs in the page; in "
              "Jupyter, trust the notebook (File → Trust Notebook) or run the cell.")


def readout_html(value) -> str:
    """Plain text is escaped; the simple tags ``<b> <i> <em> <strong> <sub> <sup> <code> <small>
    <br>`` (without attributes) are kept; an object with ``__html__`` is trusted as it is."""
    if value is None:
        return ""
    if hasattr(value, "__html__"):
        return value.__html__()
    return _SIMPLE_TAG.sub(r"<\1\2>", html.escape(str(value), quote=False))


def json_for_script(data) -> str:
    """JSON that is safe inside <script>: no '<', '>' or '&' can close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def skeleton(kind: str, title: str, controls: list[tuple[str, list[str]]], start: int, alt: str,
             readout: str, identity, question: str | None = None) -> list[str]:
    """The HTML of one explorer or player without its data and script: caption, sliders (and
    player buttons, or the prediction box), the figure and the read-out of the setting ``start``.
    Shared by the static snippet and the live widget, so both look and behave the same. The
    element id is a hash of ``identity`` (JSON-able), so the HTML is the same from run to run."""
    esc = html.escape
    digest = hashlib.sha1(json.dumps(identity).encode(), usedforsecurity=False).hexdigest()
    positions = np.unravel_index(start, [len(labels) for _, labels in controls])
    # data-lm-suppress-shortcuts: JupyterLab (Lumino) ignores its keyboard shortcuts inside it
    # a figure without sliders (viz.show) is marked still: it is the same in a kernel, never live
    still = ' data-ll-still="true"' if not controls else ""
    kind_label = "figure" if not controls else "interactive figure"
    parts = [f'<div class="ll-{kind}" id="ll-{digest[:12]}"{still} role="group" '
             f'data-lm-suppress-shortcuts="true" aria-label="{esc(title)} ({kind_label})">',
             f"<style>{_CSS}</style>",
             f'<div class="ll-caption">{esc(title)}</div>',
             '<div class="ll-controls">']
    for (name, labels), pos in zip(controls, positions, strict=True):
        parts.append(
            f'<label class="ll-control">{esc(name)} <input type="range" class="ll-slider" '
            f'data-param="{esc(name)}" min="0" max="{len(labels) - 1}" step="1" value="{pos}" '
            f'autocomplete="off" aria-label="{esc(name)}" aria-valuetext="{esc(labels[pos])}">'
            f'<output class="ll-value">{esc(labels[pos])}</output></label>')
    if kind == "player":
        parts.append('<span class="ll-buttons">'
                     '<button type="button" class="ll-prev" aria-label="Prev: previous step">'
                     '<span aria-hidden="true">&#9664;</span> Prev</button>'
                     '<button type="button" class="ll-play" aria-pressed="false">'
                     '<span aria-hidden="true">&#9654;</span> Play</button>'
                     '<button type="button" class="ll-next" aria-label="Next step">'
                     'Next <span aria-hidden="true">&#9654;</span></button>'
                     '</span>')
    parts.append("</div>")
    if question:
        parts.append(f'<form class="ll-predict"><label>{esc(question)} <input type="text" class="ll-guess" '
                     f'autocomplete="off" aria-label="{esc(question)}"></label>'
                     '<button type="submit">Check</button><button type="button" class="ll-reveal">'
                     'Show answer</button><span class="ll-verdict" aria-live="polite"></span></form>')
    parts.append(f'<div class="ll-figure" role="img" aria-label="{esc(alt)}">{esc(_NO_SCRIPT)}</div>')
    parts.append(f'<div class="ll-readout" aria-live="polite">{readout}</div>')
    return parts


def widget_html(kind: str, title: str, controls: list[tuple[str, list[str]]], frames: list[dict],
                readouts: list[str], alts: list[str], start: int, interval_ms: int = 0,
                question: str | None = None, answers: list | None = None) -> str:
    """The self-contained snippet behind :class:`Explorer` and :class:`Animation`.

    ``controls`` lists ``(name, labels)`` per slider; frame ``k`` belongs to the setting whose
    slider positions are the row-major (mixed-radix) digits of ``k``. ``kind`` is ``"explorer"``
    or ``"player"`` (a player has one step slider and Prev / Play / Next buttons).
    """
    data = {"labels": [labels for _, labels in controls], "start": start, "interval": interval_ms,
            "frames": frames, "alts": alts, "readouts": readouts}
    if answers is not None:
        data["answers"] = answers
    payload = json_for_script(data)
    parts = skeleton(kind, title, controls, start, alts[start], readouts[start],
                     identity=[kind, title, controls, payload], question=question)
    parts.append(f'<script type="application/json" class="ll-data">{payload}</script>')
    parts.append(f"<script>{_JS}</script>")
    parts.append("</div>")
    return "\n".join(parts)


class Explorer:
    """A precomputed slider explorer that needs no kernel: what :func:`explore` returns in static
    mode. Displayed through ``_repr_html_`` only (never a widget mimetype, which the website
    would show as a dead widget).

    Attributes:
        title: the caption.
        params: ``{name: [values]}`` in slider order.
        settings: every combination, in frame order (row-major over ``params``).
        frames: one frame (a dict, see :mod:`layers_lib.viz._scene`) per setting.
        readouts: one HTML read-out per setting; alts: one alt text per setting.
        question, answers: the prediction asked before the answer panels show, and per setting
            ``[answer shown, [accepted answers]]`` (None without a prediction).
        start: index of the setting shown first.
        html: the self-contained HTML snippet; payload: the size of its frame data in bytes.
    """

    _kind = "explorer"

    def __init__(self, title: str, params: Mapping[str, Sequence], frames: list[dict],
                 readouts: list[str], alts: list[str], start: int = 0, interval_ms: int = 0,
                 question: str | None = None, answers: list | None = None):
        self.title = title
        self.params = {name: list(values) for name, values in params.items()}
        self.settings = [dict(zip(self.params, combo, strict=True))
                         for combo in itertools.product(*self.params.values())]
        if not len(frames) == len(readouts) == len(alts) == len(self.settings):
            raise ValueError(f"{type(self).__name__} expected one frame, read-out and alt text per setting "
                             f"({len(self.settings)}), got {len(frames)}, {len(readouts)}, {len(alts)}")
        self.frames, self.readouts, self.alts = list(frames), list(readouts), list(alts)
        self.start, self.interval_ms = start, interval_ms
        self.question, self.answers = question, answers

    def _labels(self) -> list[tuple[str, list[str]]]:
        return [(name, [str(v) for v in values]) for name, values in self.params.items()]

    @cached_property
    def html(self) -> str:
        return widget_html(self._kind, self.title, self._labels(), self.frames, self.readouts, self.alts,
                           self.start, self.interval_ms, self.question, self.answers)

    @property
    def payload(self) -> int:
        """Bytes of the explorer's data (frames, read-outs, alt texts) in the page."""
        start = self.html.index('class="ll-data">') + len('class="ll-data">')
        return len(self.html[start:self.html.index("</script>", start)].encode())

    def _repr_html_(self) -> str:
        return self.html

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        return f"Explorer({self.title!r}: {' × '.join(self.params)}, {len(self)} frames)"


class Animation(Explorer):
    """A step-by-step animation in an in-page player (step slider, Prev / Play / Next) that needs
    no kernel. ``result`` holds the array the animation computes (the output, or the input
    gradient), for checks."""

    _kind = "player"

    def __init__(self, title: str, frames: list[dict], readouts: list[str], alts: list[str],
                 result: np.ndarray | None = None, interval_ms: int = 900):
        super().__init__(title, {"step": list(range(1, len(frames) + 1))}, frames, readouts, alts,
                         start=0, interval_ms=interval_ms)
        self.result = result

    def _labels(self) -> list[tuple[str, list[str]]]:
        n = len(self.frames)
        return [("step", [f"{k} of {n}" for k in range(1, n + 1)])]

    def __repr__(self) -> str:
        return f"Animation({self.title!r}: {len(self)} steps)"
