// The object page's lightcurve: every stored point of the object (detections with their
// errors, upper limits, forced photometry) drawn with Plotly, one trace per band and kind;
// magnitude or flux; a range of MJD chosen in the form or by dragging on the plot; a band
// hidden by clicking it in the legend. The points come in the page (#lightcurve-data).
(function () {
  "use strict";
  // Flux in nJy and AB magnitude: LSST's zero point (31.4), used for either survey's
  // conversions where a point has only one of the two.
  const ZP_NJY = 31.4;
  const COLOURS = { u: "#6a3d9a", g: "#1a9850", r: "#d73027", i: "#fdae61", z: "#8c510a", y: "#252525" };
  const KINDS = {
    detection: { label: "", symbol: "circle", size: 7 },
    limit: { label: " limit", symbol: "triangle-down-open", size: 7 },
    forced: { label: " forced", symbol: "square-open", size: 5 },
  };

  function magOf(p) {
    if (p.mag !== null && p.mag !== undefined) return [p.mag, p.mag_err];
    if (p.flux > 0) {
      const mag = ZP_NJY - 2.5 * Math.log10(p.flux);
      const err = p.flux_err ? (2.5 / Math.LN10) * (p.flux_err / p.flux) : null;
      return [mag, err];
    }
    return [null, null];
  }

  function fluxOf(p) {
    if (p.flux !== null && p.flux !== undefined) return [p.flux, p.flux_err];
    if (p.mag !== null && p.mag !== undefined) {
      const flux = Math.pow(10, (ZP_NJY - p.mag) / 2.5);
      const err = p.mag_err ? flux * p.mag_err * (Math.LN10 / 2.5) : null;
      return [flux, err];
    }
    return [null, null];
  }

  function traces(points, scale, from, to) {
    const groups = new Map();
    for (const p of points) {
      if (from !== null && p.mjd < from) continue;
      if (to !== null && p.mjd > to) continue;
      const [y, err] = scale === "mag" ? magOf(p) : fluxOf(p);
      if (y === null || !isFinite(y)) continue;
      const key = p.band + "|" + p.kind;
      if (!groups.has(key)) groups.set(key, { band: p.band, kind: p.kind, x: [], y: [], err: [], text: [] });
      const g = groups.get(key);
      g.x.push(p.mjd);
      g.y.push(y);
      g.err.push(p.kind === "detection" ? err || 0 : 0);
      g.text.push(p.utc + (p.id ? " · " + p.id : ""));
    }
    const order = ["detection", "forced", "limit"];
    return [...groups.values()]
      .sort((a, b) => (a.band < b.band ? -1 : a.band > b.band ? 1 : order.indexOf(a.kind) - order.indexOf(b.kind)))
      .map((g) => ({
        type: "scatter",
        mode: "markers",
        name: g.band + KINDS[g.kind].label,
        legendgroup: g.band,
        x: g.x,
        y: g.y,
        text: g.text,
        hovertemplate: "%{text}<br>MJD %{x:.5f}<br>" + (scale === "mag" ? "%{y:.3f} mag" : "%{y:.1f} nJy") + "<extra>%{fullData.name}</extra>",
        error_y: { type: "data", array: g.err, visible: g.kind === "detection", thickness: 1 },
        marker: { color: COLOURS[g.band] || "#444", symbol: KINDS[g.kind].symbol, size: KINDS[g.kind].size },
        meta: { band: g.band, kind: g.kind },
      }));
  }

  function draw(el, points, state) {
    const layout = {
      margin: { l: 60, r: 20, t: 10, b: 45 },
      xaxis: { title: { text: "MJD" }, zeroline: false },
      yaxis: {
        title: { text: state.scale === "mag" ? "magnitude (AB)" : "flux (nJy)" },
        autorange: state.scale === "mag" ? "reversed" : true,
        zeroline: state.scale === "flux",
      },
      legend: { orientation: "h", y: -0.2 },
      hovermode: "closest",
      dragmode: "zoom",
    };
    return Plotly.react(el, traces(points, state.scale, state.from, state.to), layout, {
      responsive: true,
      displaylogo: false,
    });
  }

  function number(input) {
    const v = parseFloat(input.value);
    return isFinite(v) ? v : null;
  }

  // The cutouts of the detection chosen.
  document.addEventListener("DOMContentLoaded", function () {
    const choice = document.getElementById("cutout-choice");
    const data = document.getElementById("cutout-data");
    if (!choice || !data) return;
    const detections = JSON.parse(data.textContent);
    choice.addEventListener("change", () => {
      for (const f of detections[Number(choice.value)].files) {
        const img = document.getElementById("cutout-" + f.name);
        if (img) img.src = f.png;
        const link = img && img.parentElement.querySelector("a.fits");
        if (link) link.href = f.fits;
      }
    });
  });

  document.addEventListener("DOMContentLoaded", function () {
    const el = document.getElementById("lightcurve");
    const data = document.getElementById("lightcurve-data");
    if (!el || !data) return;
    const points = JSON.parse(data.textContent);
    if (typeof Plotly === "undefined") {
      el.textContent = "The plotting library is not installed on this server (npm ci in web/).";
      return;
    }
    const state = { scale: "mag", from: null, to: null };
    const from = document.getElementById("lc-from");
    const to = document.getElementById("lc-to");
    const redraw = () => draw(el, points, state).then(() => el.setAttribute("data-drawn", "1"));
    document.querySelectorAll('input[name="lc-scale"]').forEach((r) =>
      r.addEventListener("change", () => {
        state.scale = r.value;
        redraw();
      })
    );
    document.getElementById("lc-apply").addEventListener("click", () => {
      state.from = number(from);
      state.to = number(to);
      redraw();
    });
    document.getElementById("lc-all").addEventListener("click", () => {
      from.value = to.value = "";
      state.from = state.to = null;
      redraw();
    });
    // Dragging a range on the plot fills the form, so the range can be linked or refined.
    redraw().then(() =>
      el.on("plotly_relayout", (e) => {
        if (e["xaxis.range[0]"] !== undefined) {
          from.value = e["xaxis.range[0]"].toFixed(5);
          to.value = e["xaxis.range[1]"].toFixed(5);
        }
      })
    );
  });
})();
