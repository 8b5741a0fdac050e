// The home page's sky: recent objects by Sherlock class on an Aitoff projection of RA and
// Dec (RA growing to the left, as on the sky), drawn with Plotly from #sky-data; no map
// tiles, so it draws offline too.
(function () {
  "use strict";
  const COLOURS = { SN: "#d73027", NT: "#fc8d59", AGN: "#4575b4", CV: "#91bfdb", VS: "#1a9850", BS: "#999999", ORPHAN: "#762a83", UNCLEAR: "#bbbbbb" };
  const RAD = Math.PI / 180;

  // Aitoff: longitude -180..180 (degrees), latitude -90..90 -> x, y in degrees.
  function aitoff(lon, lat) {
    const l = lon * RAD, b = lat * RAD;
    const alpha = Math.acos(Math.cos(b) * Math.cos(l / 2));
    const sinc = alpha === 0 ? 1 : Math.sin(alpha) / alpha;
    return [(2 * Math.cos(b) * Math.sin(l / 2)) / sinc / RAD, Math.sin(b) / sinc / RAD];
  }

  function lonOf(ra) {
    // RA 0 in the middle, growing to the left.
    let lon = -ra;
    if (lon < -180) lon += 360;
    return lon;
  }

  function graticule() {
    const lines = [];
    for (let lon = -180; lon <= 180; lon += 60) {
      const xs = [], ys = [];
      for (let dec = -90; dec <= 90; dec += 3) {
        const [x, y] = aitoff(lon, dec);
        xs.push(x); ys.push(y);
      }
      lines.push({ x: xs, y: ys });
    }
    for (let dec = -60; dec <= 60; dec += 30) {
      const xs = [], ys = [];
      for (let lon = -180; lon <= 180; lon += 3) {
        const [x, y] = aitoff(lon, dec);
        xs.push(x); ys.push(y);
      }
      lines.push({ x: xs, y: ys });
    }
    return lines.map((l) => ({ type: "scatter", mode: "lines", x: l.x, y: l.y, hoverinfo: "skip", showlegend: false, line: { color: "#ddd", width: 1 } }));
  }

  document.addEventListener("DOMContentLoaded", function () {
    const el = document.getElementById("sky");
    const data = document.getElementById("sky-data");
    if (!el || !data || typeof Plotly === "undefined") return;
    const objects = JSON.parse(data.textContent);
    const byClass = new Map();
    for (const o of objects) {
      const c = o.class || "none";
      if (!byClass.has(c)) byClass.set(c, { x: [], y: [], text: [], ids: [] });
      const g = byClass.get(c);
      const [x, y] = aitoff(lonOf(o.ra), o.dec);
      g.x.push(x); g.y.push(y); g.text.push(o.id); g.ids.push(o.id);
    }
    const traces = graticule().concat(
      [...byClass.entries()].map(([c, g]) => ({
        type: "scatter", mode: "markers", name: c, x: g.x, y: g.y, text: g.text, customdata: g.ids,
        hovertemplate: "%{text}<extra>" + c + "</extra>",
        marker: { size: 6, color: COLOURS[c] || "#444" },
      }))
    );
    const axis = { visible: false, zeroline: false, showgrid: false };
    Plotly.newPlot(el, traces, { margin: { l: 0, r: 0, t: 0, b: 0 }, xaxis: axis, yaxis: Object.assign({ scaleanchor: "x" }, axis), legend: { orientation: "h" } }, { displaylogo: false, responsive: true })
      .then(() => {
        el.setAttribute("data-drawn", "1");
        el.on("plotly_click", (e) => {
          const id = e.points[0] && e.points[0].customdata;
          if (id) window.location.href = "/objects/" + encodeURIComponent(id) + "/";
        });
      });
  });
})();
