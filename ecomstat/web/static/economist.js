// Charts of the economist pages (issue 18 item 3): estimates as bars with their 95% intervals
// as whiskers, drawn by Chart.js (vendor/chart.umd.min.js, shipped in the package). The data
// comes from a <script type="application/json"> block next to each canvas: the page's CSP
// allows no inline script. Without JavaScript the table under each chart has the same numbers.
(function () {
  "use strict";
  var PALETTE = ["#0b4f8a", "#e07b00", "#2a9d8f", "#8e44ad", "#c0392b", "#5d6d7e", "#b7950b",
                 "#1e8449", "#6c3483", "#a04000"];

  function fmt(value, digits) {
    return value === null || value === undefined ? "–" : Number(value).toFixed(digits);
  }

  // Whiskers for the interval of every bar: a vertical line from low to high with caps.
  var intervals = {
    id: "ecomstatIntervals",
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      var y = chart.scales.y;
      chart.data.datasets.forEach(function (dataset, i) {
        var meta = chart.getDatasetMeta(i);
        if (meta.hidden) { return; }
        meta.data.forEach(function (bar, j) {
          var point = dataset.points[j];
          if (!point || point.low === null || point.high === null ||
              point.low === undefined || point.high === undefined) { return; }
          var top = y.getPixelForValue(point.high);
          var bottom = y.getPixelForValue(point.low);
          var cap = Math.max(3, Math.min(8, (bar.width || 12) / 4));
          ctx.save();
          ctx.strokeStyle = "#1b1f24";
          ctx.lineWidth = 1.5;
          ctx.beginPath();
          ctx.moveTo(bar.x, top); ctx.lineTo(bar.x, bottom);
          ctx.moveTo(bar.x - cap, top); ctx.lineTo(bar.x + cap, top);
          ctx.moveTo(bar.x - cap, bottom); ctx.lineTo(bar.x + cap, bottom);
          ctx.stroke();
          ctx.restore();
        });
      });
    }
  };

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof window.Chart === "undefined") { return; }
    var payload = JSON.parse(source.textContent);
    var unit = payload.unit || "";
    var datasets = payload.series.map(function (series, i) {
      return {
        label: series.name,
        points: series.points,
        data: series.points.map(function (p) { return p ? p.y : null; }),
        backgroundColor: PALETTE[i % PALETTE.length] + "b3",
        borderColor: PALETTE[i % PALETTE.length],
        borderWidth: 1
      };
    });
    // the axis spans the intervals too, not only the bars
    var values = [];
    payload.series.forEach(function (series) {
      series.points.forEach(function (p) {
        if (!p) { return; }
        [p.y, p.low, p.high].forEach(function (v) { if (v !== null && v !== undefined) { values.push(v); } });
      });
    });
    var top = values.length ? Math.max.apply(null, values) : 1;
    var bottom = values.length ? Math.min.apply(null, values) : 0;
    var chart = new window.Chart(canvas, {
      type: "bar",
      data: { labels: payload.labels, datasets: datasets },
      plugins: [intervals],
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          y: { title: { display: true, text: unit }, beginAtZero: payload.value !== "difference",
               suggestedMax: top, suggestedMin: Math.min(bottom, 0) },
          x: { ticks: { autoSkip: false, maxRotation: 60 } }
        },
        plugins: {
          legend: { display: datasets.length > 1 },
          tooltip: {
            callbacks: {
              label: function (item) {
                var p = item.dataset.points[item.dataIndex] || {};
                var text = item.dataset.label + ": " + fmt(p.y, 2) + " " + unit +
                  " (95% interval " + fmt(p.low, 2) + " to " + fmt(p.high, 2) + ")";
                return text;
              },
              afterLabel: function (item) {
                var p = item.dataset.points[item.dataIndex] || {};
                var parts = [];
                if (p.cv !== null && p.cv !== undefined) { parts.push("CV " + fmt(p.cv, 3)); }
                if (p.n !== null && p.n !== undefined) { parts.push("n " + p.n); }
                if (p.flags) { parts.push("flags: " + p.flags); }
                return parts.join(", ");
              }
            }
          }
        }
      }
    });
    canvas.dataset.drawn = "true";
    return chart;
  }

  function start() {
    var canvases = document.querySelectorAll("canvas[data-chart]");
    for (var i = 0; i < canvases.length; i++) { draw(canvases[i]); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
