/* Charts: every <canvas data-chart="ID"> is drawn with the vendored Chart.js from the figures in the
   <script type="application/json" id="ID"> block next to it (web/charts.py makes them, the page writes them with
   json_script). Colours are the theme's CSS variables (--rc-chart-<key> in raccordo.css), numbers are formatted
   in the page's language (<html lang>). No animation: the chart is there at once, and screenshots are stable.
   Panels htmx swaps in get their charts too. */
(function () {
  "use strict";
  if (window.raccordoCharts || !window.Chart) return;

  function cssVar(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function translucent(color, alpha) {
    return Chart.helpers.color(color).alpha(alpha).rgbString();
  }

  function formats(locale, data) {
    var count = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    var compact = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 });
    var percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 });
    var money;
    try {
      money = new Intl.NumberFormat(locale, data.currency ? { style: "currency", currency: data.currency } :
        { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    } catch (e) {   // a currency code Intl does not know: the number, then the code
      var plain = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
      money = { format: function (v) { return plain.format(v) + "\u00a0" + data.currency; } };
    }
    function pct(v) { return percent.format(v / 100); }
    var unit = data.unit;
    return {
      tick: unit === "money" ? function (v) { return compact.format(v); } : unit === "percent" ? pct :
        function (v) { return count.format(v); },
      value: unit === "money" ? function (v) { return money.format(v); } : unit === "percent" ? pct :
        function (v) { return count.format(v); },
      percent: pct,
    };
  }

  function config(data, locale) {
    var muted = cssVar("--rc-muted", "#6b6f76");
    var grid = cssVar("--rc-chart-grid", "#ececf0");
    var format = formats(locale, data);
    var hasPercentAxis = data.series.some(function (s) { return s.axis === "percent"; });
    var hasBars = data.series.some(function (s) { return s.kind !== "line"; });
    // A few categories (ABC) get wide bars close together, not thin ones far apart.
    var few = data.labels.length <= 4;
    var datasets = data.series.map(function (s, i) {
      var color = cssVar("--rc-chart-" + s.color, "#4f46e5");
      var line = s.kind === "line";
      return {
        type: line ? "line" : "bar",
        label: s.label,
        data: s.values,
        yAxisID: s.axis === "percent" ? "percent" : "y",
        backgroundColor: color,
        borderColor: color,
        borderWidth: line ? 2 : 0,
        borderDash: line && s.dashed ? [5, 4] : undefined,
        borderRadius: line ? 0 : 2,
        pointRadius: line ? 2.5 : 0,
        pointHoverRadius: line ? 4 : 0,
        tension: 0,
        spanGaps: false,
        maxBarThickness: few ? 64 : 28,
        categoryPercentage: few ? 0.4 : 0.8,
        barPercentage: few ? 0.95 : 0.9,
        hoverBackgroundColor: line ? color : translucent(color, 0.8),
        order: line ? 0 : 1 + i,   // lines over bars
      };
    });
    var scales = {
      x: { grid: { display: false }, ticks: { color: muted, autoSkip: true, maxRotation: 0 },
           border: { color: grid }, offset: hasBars || data.labels.length < 2 },
      y: { beginAtZero: true, grid: { color: grid }, border: { display: false },
           ticks: { color: muted, callback: format.tick, precision: data.unit === "count" ? 0 : undefined,
                    maxTicksLimit: 6 } },
    };
    if (hasPercentAxis) {
      scales.percent = { position: "right", beginAtZero: true, max: 100, grid: { display: false },
                         border: { display: false }, ticks: { color: muted, callback: format.percent, maxTicksLimit: 6 } };
    }
    return {
      type: hasBars ? "bar" : "line",
      data: { labels: data.labels, datasets: datasets },
      options: {
        locale: locale,
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        layout: { padding: { top: 6 } },
        scales: scales,
        plugins: {
          legend: { position: "bottom", align: "start",
                    labels: { color: muted, boxWidth: 10, boxHeight: 10, padding: 14,
                              // in the order of the series, not the drawing order that puts lines on top
                              sort: function (a, b) { return a.datasetIndex - b.datasetIndex; } } },
          tooltip: {
            itemSort: function (a, b) { return a.datasetIndex - b.datasetIndex; },
            callbacks: {
              label: function (ctx) {
                if (ctx.parsed.y === null || ctx.parsed.y === undefined) return null;
                var f = ctx.dataset.yAxisID === "percent" ? format.percent : format.value;
                return " " + ctx.dataset.label + ": " + f(ctx.parsed.y);
              },
            },
          },
        },
      },
    };
  }

  function draw(root) {
    // Charts whose canvas htmx took off the page would keep observing it: let them go.
    Object.values(Chart.instances).forEach(function (chart) {
      if (!chart.canvas || !chart.canvas.isConnected) chart.destroy();
    });
    var locale = document.documentElement.lang || "en";
    var canvases = root.matches && root.matches("canvas[data-chart]") ? [root] :
      root.querySelectorAll("canvas[data-chart]");
    Array.prototype.forEach.call(canvases, function (canvas) {
      if (Chart.getChart(canvas)) return;
      var source = document.getElementById(canvas.dataset.chart);
      if (!source) return;
      new Chart(canvas, config(JSON.parse(source.textContent), locale));
      canvas.setAttribute("data-chart-drawn", "");
    });
  }

  window.raccordoCharts = { draw: draw };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { draw(document); });
  } else {
    draw(document);
  }
  document.addEventListener("htmx:afterSwap", function (e) { draw(e.target); });
})();
