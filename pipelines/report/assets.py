"""The report page's own style sheet and script, inlined into it: nothing is fetched."""

from __future__ import annotations

STYLE = """
:root { color-scheme: light; --ink: #1f2933; --muted: #5f6b7a; --rule: #e3e7ec; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f6f8; color: var(--ink);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 28px 24px 40px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 0 0 2px; }
h2.part { font-size: 21px; margin: 34px 0 0; }
.notice { background: #fff8e1; border: 1px solid #ffe082; border-radius: 6px; padding: 10px 14px;
  margin: 12px 0 0; max-width: 80ch; }
.facts { color: var(--muted); margin: 0; }
section { background: #fff; border: 1px solid var(--rule); border-radius: 8px;
  padding: 18px 24px 20px; margin-top: 22px; }
.note { color: var(--muted); font-size: 14px; margin: 0 0 10px; max-width: 80ch; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 0 0 4px;
  padding: 0; font-size: 13px; }
.legend li { display: flex; align-items: center; gap: 6px; }
.chart svg { display: block; width: 100%; height: auto; }
.chart text { font-size: 11px; fill: var(--muted); }
.chart text.year { font-weight: 600; fill: var(--ink); }
.chart .grid { stroke: var(--rule); }
.chart .zero { stroke: #9aa5b1; }
.chart [data-mark]:hover { opacity: 0.7; }
.chart rect.to-date { fill: #eef1f4; }
.chart text.to-date { font-style: italic; }
.table-wrap { overflow: auto; max-height: 19em; margin-top: 12px;
  border: 1px solid var(--rule); border-radius: 4px; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px;
  font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; font-size: 13px; padding: 6px 10px 4px;
  color: var(--muted); }
th, td { padding: 2px 10px; border-bottom: 1px solid var(--rule); text-align: left;
  white-space: nowrap; }
th { background: #f7f8fa; font-weight: 600; position: sticky; top: 0; }
@media print { .table-wrap { max-height: none; overflow: visible; } }
.num { text-align: right; }
tr.total td { font-weight: 600; background: #f7f8fa; }
footer { color: var(--muted); font-size: 13px; margin-top: 22px; }
"""

# Vanilla JS, no library: each chart of the JSON block becomes SVG in its container.
SCRIPT = """
(function () {
  "use strict";
  var W = 960, H = 300, TOP = 12, RIGHT = 12, BOTTOM = 40, LEFT = 60;
  var NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
    "Dec"];

  function add(parent, name, attrs, text) {
    // the SVG parsed from the page gives the namespace, so none is spelled out here
    var node = document.createElementNS(parent.namespaceURI, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    parent.appendChild(node);
    return node;
  }
  function r2(v) { return Math.round(v * 100) / 100; }

  function ticks(lo, hi) {
    if (hi - lo < 1e-9) { hi = lo + 1; }
    var raw = (hi - lo) / 5, step = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / step;
    step *= f > 5 ? 10 : f > 2 ? 5 : f > 1 ? 2 : 1;
    var out = [];
    for (var i = Math.floor(lo / step); i <= Math.ceil(hi / step); i++) { out.push(i * step); }
    return out;
  }
  function tickLabel(v, unit) {
    v = Number(v.toPrecision(12));
    if (unit === "percent") { return v + "%"; }
    var a = Math.abs(v);
    if (a >= 1e6) { return Number((v / 1e6).toPrecision(4)) + "M"; }
    if (a >= 1e3) { return Number((v / 1e3).toPrecision(4)) + "k"; }
    return String(v);
  }
  function bounds(chart) {
    var lo = 0, hi = 0;
    chart.months.forEach(function (_, i) {
      var up = 0, down = 0;
      chart.series.forEach(function (s) {
        var v = s.values[i];
        if (v === null) { return; }
        if (chart.kind === "stack") { if (v > 0) { up += v; } else { down += v; } }
        else { up = Math.max(up, v); down = Math.min(down, v); }
      });
      hi = Math.max(hi, up); lo = Math.min(lo, down);
    });
    // a share past one half is read against the whole; a small one (churn) keeps its scale
    return [lo, chart.unit === "percent" && hi > 50 ? Math.max(hi, 100) : hi];
  }

  function axes(svg, chart, t, x, y, band) {
    var g = add(svg, "g", {"class": "axis"}), every = Math.ceil(chart.months.length / 24);
    var years = {};
    t.forEach(function (v) {
      add(g, "line", {x1: LEFT, x2: W - RIGHT, y1: y(v), y2: y(v),
        "class": v === 0 ? "zero" : "grid"});
      add(g, "text", {x: LEFT - 8, y: y(v) + 4, "text-anchor": "end"}, tickLabel(v, chart.unit));
    });
    chart.months.forEach(function (m, i) {
      if (chart.axis === "category") {
        add(g, "text", {x: x(i), y: H - BOTTOM + 16, "text-anchor": "middle"}, m);
        return;
      }
      var year = m.slice(0, 4);
      years[year] = [year in years ? years[year][0] : i, i];
      if (i > 0 && m.slice(5, 7) === "01") {
        var edge = r2(x(i) - band / 2);
        add(g, "line", {x1: edge, x2: edge, y1: H - BOTTOM, y2: H - 4, "class": "grid"});
      }
      if (i % every === 0) {
        add(g, "text", {x: x(i), y: H - BOTTOM + 16, "text-anchor": "middle"},
          NAMES[Number(m.slice(5, 7)) - 1]);
      }
    });
    // each year's label centred under its months, so a lone December never meets January
    Object.keys(years).forEach(function (year) {
      var span = years[year];
      add(g, "text", {x: r2((x(span[0]) + x(span[1])) / 2), y: H - BOTTOM + 32,
        "text-anchor": "middle", "class": "year"}, year);
    });
  }
  function bars(svg, chart, x, y, band) {
    // stacks grow away from zero (gains up, losses down); groups stand side by side
    var g = add(svg, "g", {"class": "marks"}), group = chart.kind === "group", count = 0;
    var width = r2(band * 0.72 / (group ? Math.max(chart.series.length, 1) : 1));
    chart.months.forEach(function (_, i) {
      var up = 0, down = 0;
      chart.series.forEach(function (s, k) {
        var v = s.values[i];
        if (v === null || v === 0) { return; }
        var from = group ? 0 : v > 0 ? up : down, to = from + v;
        if (!group && v > 0) { up = to; } else if (!group) { down = to; }
        var attrs = {x: r2(x(i) - band * 0.36 + (group ? k * width : 0)),
          y: y(Math.max(from, to)), width: width, height: r2(Math.abs(y(from) - y(to))),
          fill: s.color, "data-mark": chart.key};
        if (i === chart.toDate) {  // month to date: pale, outlined in dashes
          attrs["fill-opacity"] = 0.4; attrs.stroke = s.color; attrs["stroke-dasharray"] = "3 2";
        }
        var bar = add(g, "rect", attrs);
        add(bar, "title", {}, label(chart, i) + " · " + s.name + ": " + s.labels[i]);
        count++;
      });
    });
    return count;
  }
  function lines(svg, chart, x, y) {
    var g = add(svg, "g", {"class": "marks"}), count = 0, late = chart.toDate;
    chart.series.forEach(function (s) {
      // the segments reaching the month to date are dashed: its drop is not a collapse
      var solid = "", dashed = "", pen = "M", prev = null;
      s.values.forEach(function (v, i) {
        if (v === null) { pen = "M"; prev = null; return; }
        var here = x(i) + " " + y(v);
        if (prev !== null && (i === late || i - 1 === late)) {
          dashed += "M" + prev + " L" + here + " ";
          pen = "M";
        }
        if (i !== late) { solid += pen + here + " "; pen = "L"; }
        prev = here;
      });
      [[solid, ""], [dashed, "5 4"]].forEach(function (part) {
        if (!part[0]) { return; }
        var attrs = {d: part[0].trim(), fill: "none", stroke: s.color, "stroke-width": 2.5,
          "stroke-linejoin": "round"};
        if (part[1]) { attrs["stroke-dasharray"] = part[1]; }
        add(g, "path", attrs);
      });
      s.values.forEach(function (v, i) {
        if (v === null) { return; }
        var attrs = {cx: x(i), cy: y(v), r: 3.5, fill: s.color, "data-mark": chart.key};
        if (i === late) { attrs.fill = "#fff"; attrs.stroke = s.color; attrs["stroke-width"] = 2; }
        var dot = add(g, "circle", attrs);
        add(dot, "title", {}, label(chart, i) + " · " + s.name + ": " + s.labels[i]);
        count++;
      });
    });
    return count;
  }
  function label(chart, i) { return chart.months[i] + (i === chart.toDate ? " (to date)" : ""); }
  function toDate(svg, chart, x, band) {
    var i = chart.toDate;
    if (i === null || i === undefined) { return; }
    var g = add(svg, "g", {});
    add(g, "rect", {x: r2(x(i) - band / 2), y: TOP, width: r2(band), height: H - TOP - BOTTOM,
      "class": "to-date"});
    add(g, "text", {x: r2(x(i) + band / 2), y: TOP + 10, "text-anchor": "end",
      "class": "to-date"}, "to date");
  }

  function draw(chart) {
    var box = document.getElementById("chart-" + chart.key), svg = box.querySelector("svg");
    var band = (W - LEFT - RIGHT) / chart.months.length, b = bounds(chart);
    var t = ticks(b[0], b[1]), lo = t[0], hi = t[t.length - 1];
    function x(i) { return r2(LEFT + band * (i + 0.5)); }
    function y(v) { return r2(TOP + (hi - v) / (hi - lo) * (H - TOP - BOTTOM)); }
    toDate(svg, chart, x, band);
    axes(svg, chart, t, x, y, band);
    var marks = chart.kind === "line" ? lines(svg, chart, x, y) : bars(svg, chart, x, y, band);
    box.setAttribute("data-drawn", String(marks));
  }

  var data = JSON.parse(document.getElementById("report-data").textContent), drawn = 0;
  data.charts.forEach(function (chart) {
    try {
      draw(chart);
      drawn++;
    } catch (error) {
      document.getElementById("chart-" + chart.key).setAttribute("data-error", String(error));
    }
  });
  document.body.setAttribute("data-charts-drawn", String(drawn));
})();
"""
