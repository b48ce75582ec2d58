// deorbit dashboard and report front end.
//
// Two modes, one bundle:
//  * dashboard (served by `deorbit serve`): hash routes #/ (search), #/object/<id> (map,
//    tables, re-entry prediction), #/watchlist; data from the local JSON API;
//  * report (a file written by `deorbit report`): the data is embedded in
//    <script type="application/json" id="deorbit-data">; only the map and the decay chart are
//    drawn here, the tables are already in the HTML.
// Text from the API is always inserted as text (textContent), never as HTML.
import L from "leaflet";
import uPlot from "uplot";
import "leaflet/dist/leaflet.css";
import "uplot/dist/uPlot.min.css";
import "./style.css";

// ---------------------------------------------------------------------------------------------
// small helpers

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const pct = (x, d = 2) => (x === null || x === undefined ? "–" : `${(100 * x).toFixed(d)}%`);
function people(x) {
  if (x === null || x === undefined) return "–";
  if (x >= 1e9) return `${(x / 1e9).toFixed(2)} bn`;
  if (x >= 1e6) return `${(x / 1e6).toFixed(1)} M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(0)} k`;
  return `${Math.round(x)}`;
}
const iso = (s) => (s ? s.replace("T", " ").replace("Z", " UTC") : "–");

async function api(path, options = {}) {
  const response = await fetch(path, {
    headers: { accept: "application/json", "content-type": "application/json" },
    ...options,
  });
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const message = body && body.detail ? body.detail : `${response.status} ${response.statusText}`;
    throw new Error(message);
  }
  return body;
}

function table(columns, rows, attrs = {}) {
  return h(
    "table",
    { class: "data", ...attrs },
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { class: c.num ? "num" : null }, c.title)))),
    h(
      "tbody",
      {},
      rows.map((r) =>
        h("tr", {}, columns.map((c) => h("td", { class: c.num ? "num" : null }, c.value(r)))),
      ),
    ),
  );
}

function warningsList(warnings) {
  if (!warnings || !warnings.length) return null;
  return h("ul", { class: "warnings" }, warnings.map((w) => h("li", {}, `warning: ${w}`)));
}

// ---------------------------------------------------------------------------------------------
// the map: Natural Earth borders shaded by share of time, ground track, band, re-entry points

const RAMP = ["#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#bd0026", "#800026"];
const NO_SHARE = "#eceff1";

function shareColour(x, lo, hi) {
  if (!(x > 0)) return NO_SHARE;
  const t = Math.min(1, Math.max(0, (Math.log10(x) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))));
  return RAMP[Math.min(RAMP.length - 1, Math.floor(t * RAMP.length))];
}

function splitTrack(track) {
  // polylines broken where the track jumps across +-180 deg or SGP4 failed
  const parts = [];
  let line = [];
  for (let i = 0; i < track.lat_deg.length; i++) {
    const lat = track.lat_deg[i];
    const lon = track.lon_deg[i];
    if (lat === null || lon === null) {
      if (line.length > 1) parts.push(line);
      line = [];
      continue;
    }
    if (line.length && Math.abs(lon - line[line.length - 1][1]) > 180) {
      if (line.length > 1) parts.push(line);
      line = [];
    }
    line.push([lat, lon]);
  }
  if (line.length > 1) parts.push(line);
  return parts;
}

function drawMap(el, { geojson, exposure, track, reentryPoints }) {
  el.dataset.rendered = "false";
  const map = L.map(el, {
    crs: L.CRS.EPSG4326,
    zoomSnap: 0.25,
    minZoom: -1,
    maxZoom: 7,
    worldCopyJump: false,
    maxBounds: [
      [-120, -240],
      [120, 240],
    ],
    renderer: L.svg({ padding: 0.5 }),
  });
  // the view first: vector layers added to a map without one cannot be projected
  map.fitBounds([
    [-85, -180],
    [85, 180],
  ]);
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("Borders: Natural Earth · no map tiles");
  const share = {};
  const rows = {};
  for (const r of exposure.countries) {
    share[r.adm0_a3] = r;
    rows[r.adm0_a3] = r;
  }
  const values = exposure.countries.map((r) => r.fraction).filter((x) => x > 0);
  const hi = values.length ? Math.max(...values) : 1;
  const lo = Math.max(hi / 1e4, values.length ? Math.min(...values) : 1e-5);
  let mode = "fraction";
  const layer = L.geoJSON(geojson, {
    style: (f) => ({
      color: "#6b7280",
      weight: 0.5,
      fillOpacity: 0.9,
      fillColor: shareColour((share[f.properties.adm0_a3] || {})[mode], lo, hi),
    }),
    onEachFeature: (f, l) => {
      const r = rows[f.properties.adm0_a3];
      const text = r
        ? `${f.properties.name}: ${pct(r.fraction, 3)} long run, ${pct(r.window_fraction, 3)} in the window`
        : `${f.properties.name}: never overhead`;
      l.bindTooltip(text, { sticky: true });
    },
  }).addTo(map);
  const band = exposure.max_lat_deg;
  for (const lat of [band, -band]) {
    L.polyline(
      [
        [lat, -180],
        [lat, 180],
      ],
      { color: "#1f4e79", weight: 1, dashArray: "6 4", interactive: false },
    ).addTo(map);
  }
  let trackLines = 0;
  if (track && track.lat_deg && track.lat_deg.length) {
    const parts = splitTrack(track);
    trackLines = parts.length;
    L.polyline(parts, { color: "#1f4e79", weight: 1.4, opacity: 0.9, interactive: false }).addTo(map);
  }
  const pointsLayer = L.layerGroup().addTo(map);
  function setReentryPoints(points) {
    pointsLayer.clearLayers();
    const shown = (points || []).slice(0, 2000);
    for (const p of shown) {
      L.circleMarker([p.lat_deg, p.lon_deg], {
        radius: 2.5,
        color: "#000",
        weight: 0.5,
        fillColor: "#111",
        fillOpacity: 0.7,
      })
        .bindTooltip(`re-entry sample ${p.epoch_utc}`)
        .addTo(pointsLayer);
    }
    el.dataset.reentryPoints = String(shown.length);
  }
  setReentryPoints(reentryPoints);
  const legend = L.control({ position: "bottomleft" });
  legend.onAdd = () => {
    const div = h("div", { class: "legend" }, h("b", {}, "Share of time overhead"), h("br"));
    for (let i = 0; i < RAMP.length; i++) {
      const v = 10 ** (Math.log10(lo) + ((i + 0.5) / RAMP.length) * (Math.log10(hi) - Math.log10(lo)));
      div.append(h("i", { style: `background:${RAMP[i]}` }), `${(100 * v).toPrecision(2)}%`, h("br"));
    }
    div.append(h("i", { style: `background:${NO_SHARE}` }), "never overhead", h("br"));
    div.append(`dashed: band ±${band.toFixed(2)}° · line: ground track`);
    return div;
  };
  legend.addTo(map);
  const setMode = (m) => {
    mode = m;
    layer.setStyle((f) => ({ fillColor: shareColour((share[f.properties.adm0_a3] || {})[mode], lo, hi) }));
  };
  el.dataset.countries = String(layer.getLayers().length);
  el.dataset.trackLines = String(trackLines);
  el.dataset.rendered = "true";
  return { map, setMode, setReentryPoints };
}

// ---------------------------------------------------------------------------------------------
// the decay curve: nominal, 5-95 % band of the samples, observed sets, re-entry window

function drawDecay(el, curve) {
  el.dataset.rendered = "false";
  el.textContent = "";
  const band = curve.band;
  // three tables on their own time axes, joined onto one: [x, p05, p50, p95, nominal, observed]
  const tables = [
    [band.t_unix_s, band.p05_km, band.p50_km, band.p95_km],
    [curve.nominal.t_unix_s, curve.nominal.mean_alt_km],
    [curve.observed.t_unix_s, curve.observed.mean_alt_km],
  ];
  const anyX = tables.map((t) => t[0]).find((x) => x.length);
  const filled = tables.map((t) => (t[0].length || !anyX ? t : [[anyX[0]], ...t.slice(1).map(() => [null])]));
  const data = uPlot.join(filled);
  const w = curve.window;
  const windowPlugin = {
    hooks: {
      drawAxes: [
        (u) => {
          if (w.p05_unix_s === null) return;
          const ctx = u.ctx;
          const x0 = u.valToPos(w.p05_unix_s, "x", true);
          const x1 = u.valToPos(w.p95_unix_s, "x", true);
          const xm = u.valToPos(w.median_unix_s, "x", true);
          const { top, height } = u.bbox;
          ctx.save();
          ctx.fillStyle = "rgba(120,120,120,0.22)";
          ctx.fillRect(Math.min(x0, x1), top, Math.max(1, Math.abs(x1 - x0)), height);
          ctx.strokeStyle = "#000";
          ctx.setLineDash([6, 4]);
          ctx.beginPath();
          ctx.moveTo(xm, top);
          ctx.lineTo(xm, top + height);
          ctx.stroke();
          ctx.restore();
        },
      ],
    },
  };
  const opts = {
    width: Math.max(320, el.clientWidth || 900),
    height: 340,
    plugins: [windowPlugin],
    scales: { x: { time: true } },
    axes: [{}, { label: curve.quantity, size: 60 }],
    series: [
      {},
      { label: "5%", stroke: "rgba(214,96,77,0.6)", width: 1, spanGaps: true },
      { label: "median of samples", stroke: "#d6604d", width: 1, dash: [4, 3], spanGaps: true },
      { label: "95%", stroke: "rgba(214,96,77,0.6)", width: 1, spanGaps: true },
      { label: "nominal", stroke: "#b2182b", width: 2, spanGaps: true },
      { label: "element sets", stroke: "#2166ac", width: 0, paths: () => null, points: { show: true, size: 4, fill: "#2166ac" } },
    ],
    bands: [{ series: [3, 1], fill: "rgba(244,165,130,0.45)" }],
    legend: { live: false },
  };
  const chart = new uPlot(opts, data, el);
  el.dataset.rendered = "true";
  return chart;
}

// ---------------------------------------------------------------------------------------------
// generic rendering of results of job kinds this page does not know in detail

function renderGeneric(value, depth = 0) {
  if (value === null || value === undefined) return h("span", { class: "muted" }, "–");
  if (Array.isArray(value)) {
    if (value.length && typeof value[0] === "object" && value[0] !== null && !Array.isArray(value[0])) {
      const keys = Object.keys(value[0]).filter((k) => typeof value[0][k] !== "object" || value[0][k] === null);
      return table(
        keys.map((k) => ({ title: k, value: (r) => (r[k] === null ? "–" : String(r[k])) })),
        value.slice(0, 50),
      );
    }
    return h("span", {}, value.slice(0, 20).join(", ") + (value.length > 20 ? ", …" : ""));
  }
  if (typeof value === "object") {
    if (depth > 2) return h("pre", { class: "json" }, JSON.stringify(value, null, 1));
    return h(
      "dl",
      {},
      Object.entries(value).map(([k, v]) => [h("dt", {}, h("b", {}, k)), h("dd", {}, renderGeneric(v, depth + 1))]),
    );
  }
  return h("span", {}, String(value));
}

// ---------------------------------------------------------------------------------------------
// jobs: start, follow (long polling), cancel

async function runJob(kind, params, ui) {
  let job = await api(`/api/jobs/${kind}`, { method: "POST", body: JSON.stringify(params) });
  ui.onStart(job);
  while (!["succeeded", "failed", "cancelled"].includes(job.status)) {
    ui.onProgress(job);
    job = await api(`/api/jobs/${job.id}?wait=2`);
  }
  return job;
}

function jobPanel(kind, params, onDone) {
  const bar = h("progress", { max: "1", value: "0" });
  const message = h("span", { class: "muted" }, "");
  const cancel = h("button", { class: "secondary", type: "button", disabled: true }, "Cancel");
  const status = h("div", { class: "jobstatus" }, bar, " ", message, " ", cancel);
  let current = null;
  cancel.addEventListener("click", async () => {
    if (current) await api(`/api/jobs/${current.id}`, { method: "DELETE" }).catch(() => null);
  });
  const ui = {
    onStart: (job) => {
      current = job;
      cancel.disabled = false;
      message.textContent = job.message;
    },
    onProgress: (job) => {
      if (job.progress === null) bar.removeAttribute("value");
      else bar.value = job.progress;
      message.textContent = `${job.status}: ${job.message}`;
    },
  };
  const start = async () => {
    try {
      const job = await runJob(kind, params(), ui);
      cancel.disabled = true;
      bar.value = job.status === "succeeded" ? 1 : 0;
      message.textContent =
        job.status === "succeeded" ? `done in ${job.runtime_s.toFixed(1)} s` : `${job.status}: ${job.message}`;
      if (job.status === "failed") message.className = "error";
      onDone(job);
    } catch (err) {
      cancel.disabled = true;
      message.className = "error";
      message.textContent = err.message;
    }
  };
  return { status, start };
}

// ---------------------------------------------------------------------------------------------
// pages

const app = document.getElementById("app");

function setPage(...children) {
  app.textContent = "";
  app.append(...children);
}

async function searchPage() {
  const input = h("input", { type: "search", placeholder: "ISS, a name, or a catalogue number", size: "40", id: "q" });
  const results = h("div", { class: "results" });
  const run = async () => {
    results.textContent = "Searching…";
    try {
      const r = await api(`/api/objects?q=${encodeURIComponent(input.value)}`);
      results.textContent = "";
      if (!r.objects.length) results.append(h("p", {}, "Nothing known offline by that name or number."));
      results.append(
        table(
          [
            { title: "Object", value: (o) => h("a", { href: `#/object/${o.norad_id}` }, o.name) },
            { title: "NORAD", value: (o) => String(o.norad_id), num: true },
            { title: "Newest elements", value: (o) => iso(o.latest_epoch_utc) },
            { title: "From", value: (o) => o.source },
          ],
          r.objects,
        ),
      );
    } catch (err) {
      results.textContent = "";
      results.append(h("p", { class: "error" }, err.message));
    }
  };
  const form = h("form", { class: "inline", onsubmit: (e) => (e.preventDefault(), run()) }, input, h("button", {}, "Search"));
  setPage(
    h("h1", {}, "Objects"),
    h("p", { class: "muted" }, "Objects known offline: the bundled ISS history and whatever `deorbit fetch` stored locally. An empty search lists the bundled objects."),
    form,
    results,
  );
  run();
}

function countryTable(exposure, limit) {
  const cols = [
    { title: "Country", value: (r) => r.name },
    { title: "ISO", value: (r) => r.iso_a3 || r.adm0_a3 },
    { title: "Long run", value: (r) => pct(r.fraction, 3), num: true },
    { title: "Window", value: (r) => pct(r.window_fraction, 3), num: true },
    { title: "People under band", value: (r) => people(r.population_under_band), num: true },
    { title: "of its people", value: (r) => pct(r.population_share_under_band, 1), num: true },
  ];
  const wrap = h("div", {});
  const draw = (n) => {
    wrap.textContent = "";
    wrap.append(table(cols, exposure.countries.slice(0, n), { id: "country-table" }));
    if (n < exposure.countries.length) {
      wrap.append(h("button", { type: "button", class: "secondary", onclick: () => draw(exposure.countries.length) }, `Show all ${exposure.countries.length} countries`));
    }
  };
  draw(limit);
  return wrap;
}

function summaryFacts(e) {
  const o = e.object;
  const w = e.window;
  return h(
    "div",
    { class: "facts card" },
    h("div", {}, h("b", {}, `${o.perigee_alt_km.toFixed(0)} × ${o.apogee_alt_km.toFixed(0)} km`), h("span", {}, `orbit, i = ${o.inclination_deg.toFixed(2)}°, ${o.period_min.toFixed(1)} min`)),
    h("div", {}, h("b", {}, iso(o.epoch_utc)), h("span", {}, `newest elements (${o.element_age_days.toFixed(1)} days old), ${o.element_sets} sets`)),
    h("div", {}, h("b", {}, `±${e.max_lat_deg.toFixed(2)}°`), h("span", {}, "latitude band it flies over")),
    h("div", {}, h("b", {}, pct(e.land_fraction, 1)), h("span", {}, `of the time over land (long run); window ${pct(w.land_fraction, 1)}`)),
    h("div", {}, h("b", {}, people(e.population.under_band)), h("span", {}, `people live under the band (${pct(e.population.share_under_band, 1)} of ${e.population.year} world)`)),
    h("div", {}, h("b", {}, `${iso(w.start_utc)}`), h("span", {}, `window start, ${w.samples} samples every ${w.step_s} s`)),
  );
}

function predictionSummary(r) {
  const re = r.reentry;
  const parts = [];
  if (re.median_utc === null) {
    parts.push(h("p", { class: "error" }, "No sample re-entered within the simulated span."));
  } else {
    parts.push(
      h(
        "p",
        {},
        `Re-entry (${re.stop_alt_km} km): `,
        h("b", {}, iso(re.median_utc)),
        ` median; 90% window ${iso(re.p05_utc)} to ${iso(re.p95_utc)} (${re.samples_reentered} of ${re.samples} samples).`,
        re.remaining_days_median !== null ? ` Remaining lifetime from the last elements: ${re.remaining_days_median.toFixed(1)} days (median).` : "",
      ),
    );
  }
  parts.push(
    h("p", { class: "muted" }, `As of ${iso(r.as_of_utc)}; ballistic coefficient ${r.ballistic_coefficient_m2_per_kg.toPrecision(4)} m²/kg (${r.ballistic_coefficient_method}).`),
  );
  parts.push(
    table(
      [
        { title: "Assumption", value: (a) => a.quantity },
        { title: "Value", value: (a) => a.value },
        { title: "Source", value: (a) => a.source },
      ],
      r.assumptions,
    ),
  );
  parts.push(warningsList(r.warnings));
  return parts;
}

async function objectPage(id, query) {
  const days = query.get("days") || "30";
  const start = query.get("start") || "";
  const qs = new URLSearchParams({ object: id, days });
  if (start) qs.set("start", start);
  setPage(h("p", {}, `Computing exposure of ${id}…`));
  let geojson, exposure, track, kinds;
  try {
    [geojson, exposure, track, kinds] = await Promise.all([
      api("/api/countries.geojson"),
      api(`/api/exposure?${qs}`),
      api(`/api/track?${qs}&hours=24`),
      api("/api/jobs/kinds"),
    ]);
  } catch (err) {
    setPage(h("h1", {}, `Object ${id}`), h("p", { class: "error", id: "page-error" }, err.message), h("p", {}, h("a", { href: "#/" }, "Back to search")));
    return;
  }
  const kindNames = kinds.kinds.map((k) => k.name);
  const o = exposure.object;
  const mapEl = h("div", { class: "map", id: "map" });
  const modeSelect = h(
    "select",
    { id: "share-mode" },
    h("option", { value: "fraction" }, "long run (analytic)"),
    h("option", { value: "window_fraction" }, "this window (propagated)"),
  );
  const windowForm = h(
    "form",
    { class: "inline" },
    h("label", {}, "Window start", h("input", { name: "start", value: start, placeholder: "epoch | now | 2026-01-31T12:00Z", size: "26" })),
    h("label", {}, "Days", h("input", { name: "days", type: "number", min: "0.1", max: "366", step: "any", value: days })),
    h("button", {}, "Recompute"),
  );
  windowForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const p = new URLSearchParams();
    const s = windowForm.elements.start.value.trim();
    if (s) p.set("start", s);
    p.set("days", windowForm.elements.days.value);
    location.hash = `#/object/${id}?${p}`;
  });

  const predictOut = h("div", { id: "prediction" });
  const decayEl = h("div", { class: "chart", id: "decay" });
  const samplesInput = h("input", { name: "samples", type: "number", min: "1", max: "5000", value: query.get("samples") || "100" });
  const seedInput = h("input", { name: "seed", type: "number", min: "0", value: "1" });
  let mapApi = null;
  const predictPanel = jobPanel(
    "predict",
    () => ({ object: String(o.norad_id), samples: Number(samplesInput.value), seed: Number(seedInput.value) }),
    (job) => {
      predictOut.textContent = "";
      if (job.status !== "succeeded") {
        if (job.error) predictOut.append(h("p", { class: "error" }, job.error.message));
        return;
      }
      predictOut.append(...predictionSummary(job.result).filter(Boolean));
      if (job.extras && job.extras.decay_curve) drawDecay(decayEl, job.extras.decay_curve);
      if (mapApi) mapApi.setReentryPoints(job.result.reentry.points);
    },
  );
  const predictForm = h(
    "form",
    { class: "inline", onsubmit: (e) => (e.preventDefault(), predictPanel.start()) },
    h("label", {}, "Samples (≤ 5000)", samplesInput),
    h("label", {}, "Seed", seedInput),
    h("button", { id: "predict-button" }, "Predict re-entry"),
  );

  const sections = [
    h("h1", {}, `${o.name} `, h("span", { class: "muted" }, `[${o.norad_id}] ${o.intl_designator || ""}`)),
    h("p", { class: "muted" }, `Elements: ${o.source}.`),
    summaryFacts(exposure),
    warningsList(exposure.warnings),
    h("h2", {}, "Where does it fly?"),
    windowForm,
    h("p", {}, "Shade countries by ", modeSelect, ". ", h("span", { class: "muted" }, "Line: the first 24 h of the window's ground track.")),
    mapEl,
    h("p", { class: "muted" }, exposure.method_note),
    h("h2", {}, "Who is under it? Share of time over each country"),
    countryTable(exposure, 25),
    h("h2", {}, "Biggest cities under the band"),
    table(
      [
        { title: "City", value: (c) => c.name },
        { title: "Country", value: (c) => c.iso_a3 },
        { title: "Latitude", value: (c) => `${c.lat_deg.toFixed(2)}°`, num: true },
        { title: "People", value: (c) => people(c.population), num: true },
      ],
      exposure.cities_under_band.slice(0, 15),
    ),
    h("h2", {}, "When will it come down?"),
    kindNames.includes("predict")
      ? h("div", { class: "card" }, h("p", { class: "muted" }, "A Monte Carlo re-entry prediction from the element history and space weather. It runs in the background; more samples take longer."), predictForm, predictPanel.status, predictOut, decayEl)
      : h("p", { class: "notyet card" }, "Re-entry prediction is not available in this server."),
  ];
  if (o.norad_id === 25544) sections.push(...issComparison(kindNames, o));
  const others = kinds.kinds.filter((k) => !["exposure", "predict"].includes(k.name) && k.params_schema.properties && k.params_schema.properties.object);
  if (others.length) {
    sections.push(h("h2", {}, "Other analyses"));
    for (const k of others) {
      const out = h("div", {});
      const panel = jobPanel(k.name, () => ({ object: String(o.norad_id) }), (job) => {
        out.textContent = "";
        out.append(job.status === "succeeded" ? renderGeneric(job.result) : h("p", { class: "error" }, job.message));
      });
      sections.push(h("div", { class: "card" }, h("b", {}, k.name), ` – ${k.summary} `, h("button", { type: "button", onclick: panel.start }, "Run"), panel.status, out));
    }
  }
  setPage(...sections.filter(Boolean));
  mapApi = drawMap(mapEl, { geojson, exposure, track, reentryPoints: [] });
  modeSelect.addEventListener("change", () => mapApi.setMode(modeSelect.value));
  if (query.get("predict") === "1" && kindNames.includes("predict")) predictPanel.start();
}

// ---------------------------------------------------------------------------------------------
// ISS: "reboosts stop" (risk job, prediction mode, no reboosts) beside a controlled deorbit
// (deorbit-plan job), both run on request as background jobs

const LIMIT_EC = 1e-4; // NASA-STD-8719.14 / ESA casualty-expectation limit per re-entry
const FOCUS = ["RUS", "USA", "EU27", "IND", "CHN"];
const FOCUS_NAMES = { RUS: "Russia", USA: "United States", EU27: "European Union (27)", IND: "India", CHN: "China" };
const sci = (x, d = 2) => (x === null || x === undefined ? "–" : Number(x).toExponential(d));
const na = (text) => h("span", { class: "muted" }, text);

function comparisonRows() {
  // one row per quantity; the two cells of a row are filled as each job finishes
  return [
    ["window", "Re-entry window"],
    ["ec", "Casualty expectation E_c"],
    ["ratio", "E_c ÷ 1e-4 limit"],
    ["inside", "P(footprint inside the target zone)"],
    ["dv", "Δv"],
    ...FOCUS.map((c) => [`focus-${c}`, `P(impact in ${FOCUS_NAMES[c]})`]),
  ];
}

function fillUncontrolled(cells, r) {
  const re = r.reentry || {};
  cells.window.replaceChildren(
    re.median_utc ? h("span", {}, h("b", {}, iso(re.median_utc)), ` median; 90%: ${iso(re.p05_utc)} to ${iso(re.p95_utc)}`) : na("no sample re-entered in the simulated span"),
  );
  cells.ec.replaceChildren(h("b", {}, sci(r.casualty_expectation)), ` (1 in ${r.one_in ? Math.round(r.one_in).toLocaleString("en") : "–"})`);
  cells.ratio.replaceChildren(h("b", { class: r.ratio_to_limit > 1 ? "error" : null }, `${r.ratio_to_limit.toFixed(1)}×`), r.ratio_to_limit > 1 ? " above the limit" : " (within)");
  cells.inside.replaceChildren(na(`no target zone: uncontrolled; anywhere under the band (ocean ${pct(r.ocean_probability, 1)})`));
  cells.dv.replaceChildren(na("0: no burns (reboosts stop at the newest elements)"));
  for (const c of FOCUS) {
    const f = (r.focus || {})[c];
    cells[`focus-${c}`].replaceChildren(f ? h("span", {}, pct(f.probability, 2), h("span", { class: "muted" }, ` · E_c ${sci(f.casualty_expectation)}`)) : na("–"));
  }
}

function fillControlled(cells, r) {
  const last = (r.burns || []).filter((b) => b.epoch_utc).slice(-1)[0];
  cells.window.replaceChildren(
    last
      ? h("span", {}, `final burn `, h("b", {}, iso(last.epoch_utc)), `; impact centre ${r.impact_centre.lat_deg.toFixed(1)}°, ${r.impact_centre.lon_deg.toFixed(1)}° (${r.zone.name})`)
      : na("the planner gave no burn time"),
  );
  cells.ec.replaceChildren(h("b", {}, sci(r.casualty_expectation)));
  const ratio = r.casualty_expectation / LIMIT_EC;
  cells.ratio.replaceChildren(h("b", { class: ratio > 1 ? "error" : null }, `${ratio.toPrecision(2)}×`), ratio > 1 ? " above the limit" : " (within)");
  cells.inside.replaceChildren(h("b", {}, pct(r.footprint_inside_probability, 1)), h("span", { class: "muted" }, ` · P(any fragment outside) ${pct(r.p_any_fragment_outside, 1)}; nearest land ${r.min_land_distance_km.toFixed(0)} km`));
  cells.dv.replaceChildren(
    h("b", {}, `${r.delta_v_total_m_s.toFixed(1)} m/s`),
    ` in ${r.burns.length} burns, ${Math.round(r.propellant_total_kg).toLocaleString("en")} kg of propellant (${r.vehicle.name}${r.vehicle_sufficient ? "" : ": not enough"})`,
  );
  for (const c of FOCUS) {
    cells[`focus-${c}`].replaceChildren(na("not computed per country by the planner (debris aimed at the zone)"));
  }
}

function issComparison(kindNames, o) {
  const haveRisk = kindNames.includes("risk");
  const havePlan = kindNames.includes("deorbit-plan");
  const rows = comparisonRows();
  const left = {};
  const right = {};
  const pending = (kind, ok) => na(ok ? "not run yet" : `not computed: this server has no ${kind} job`);
  const tbody = h(
    "tbody",
    {},
    rows.map(([key, title]) => {
      left[key] = h("td", { dataset: { cell: `uncontrolled-${key}` } }, pending("risk", haveRisk));
      right[key] = h("td", { dataset: { cell: `controlled-${key}` } }, pending("deorbit-plan", havePlan));
      return h("tr", {}, h("th", {}, title), left[key], right[key]);
    }),
  );
  const riskSamples = h("input", { name: "risk-samples", type: "number", min: "1", max: "5000", value: "200" });
  const show = (cells, fill) => (job) => {
    if (job.status === "succeeded") fill(cells, job.result);
    else cells.window.replaceChildren(h("span", { class: "error" }, job.error ? job.error.message : job.message));
  };
  const riskPanel = jobPanel(
    "risk",
    () => ({ object: String(o.norad_id), mode: "prediction", no_reboost: true, samples: Number(riskSamples.value), seed: 1 }),
    show(left, fillUncontrolled),
  );
  // The ISS: as NASA's published plan, drag first lowers the station to ~330 km.
  const planPanel = jobPanel("deorbit-plan", () => (o.norad_id === 25544 ? { object: String(o.norad_id), decay_to_km: 330 } : { object: String(o.norad_id) }), show(right, fillControlled));
  const runBoth = () => {
    if (haveRisk) riskPanel.start();
    if (havePlan) planPanel.start();
  };
  return [
    h("h2", {}, "If reboosts stop vs. a controlled deorbit"),
    h(
      "div",
      { class: "card", id: "iss-comparison" },
      h(
        "p",
        { class: "muted" },
        `Reboosts stop: a re-entry prediction that assumes the ${o.name} is no longer reboosted after its newest elements, with the impact probability of its break-up fragments over the world's population (risk job, prediction mode). ` +
          "Controlled deorbit: the deorbit-plan job's burns into the South Pacific Ocean Uninhabited Area with the US Deorbit Vehicle. Both run in the background, one after the other; the risk Monte Carlo takes minutes.",
      ),
      h(
        "form",
        { class: "inline", onsubmit: (e) => (e.preventDefault(), runBoth()) },
        h("label", {}, "Re-entry samples (risk)", riskSamples),
        h("button", { id: "compare-button", disabled: !(haveRisk || havePlan) }, "Compare"),
      ),
      h("div", { class: "cols" }, h("div", {}, h("b", {}, "Reboosts stop"), " ", riskPanel.status), h("div", {}, h("b", {}, "Controlled deorbit"), " ", planPanel.status)),
      h(
        "table",
        { class: "data compare", id: "comparison-table" },
        h("thead", {}, h("tr", {}, h("th", {}, ""), h("th", {}, "Reboosts stop (uncontrolled decay)"), h("th", {}, "Controlled deorbit (SPOUA)"))),
        tbody,
      ),
      h("p", { class: "muted" }, `E_c: expected number of people hurt by surviving fragments; agencies require below ${LIMIT_EC} for an uncontrolled re-entry, else a controlled one. EU27: the sum over the 27 member states.`),
    ),
  ];
}

// ---------------------------------------------------------------------------------------------
// the catalogue watchlist (watch job over the server's element store)

function watchTable(result) {
  return table(
    [
      { title: "#", value: (e) => String(e.rank), num: true },
      { title: "Object", value: (e) => h("a", { href: `#/object/${e.norad_id}` }, e.name) },
      { title: "NORAD", value: (e) => String(e.norad_id), num: true },
      { title: "Median re-entry", value: (e) => iso(e.reentry.median_utc) },
      { title: "90% window", value: (e) => `${iso(e.reentry.p05_utc)} to ${iso(e.reentry.p95_utc)}` },
      { title: "Perigee × apogee", value: (e) => `${e.perigee_alt_km.toFixed(0)} × ${e.apogee_alt_km.toFixed(0)} km`, num: true },
      { title: "Incl.", value: (e) => `${e.inclination_deg.toFixed(1)}°`, num: true },
      { title: "Elements age", value: (e) => `${e.element_age_days.toFixed(1)} d`, num: true },
      { title: "BC m²/kg", value: (e) => `${e.ballistic_coefficient_m2_per_kg.toPrecision(3)} (${e.ballistic_coefficient_method})`, num: true },
    ],
    result.objects,
    { id: "watch-table" },
  );
}

function watchSummary(r) {
  const f = r.flagged || {};
  const flagged = Object.entries(f)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k.replace("_", " ")}`)
    .join(", ");
  return h(
    "p",
    { id: "watch-summary" },
    h("b", {}, `${r.objects.length} object${r.objects.length === 1 ? "" : "s"}`),
    ` may re-enter within ${r.horizon_days} days of ${iso(r.as_of_utc)} (5% quantile inside the horizon). ` +
      `${r.screened} screened, ${r.candidates} Monte Carlo candidates, ${r.samples} samples each, engine "${r.engine}"` +
      (flagged ? `; flagged: ${flagged}` : "") +
      `. Space weather: ${r.space_weather}.`,
  );
}

async function watchlistPage() {
  let kinds = [];
  let health = {};
  try {
    [kinds, health] = await Promise.all([api("/api/jobs/kinds").then((k) => k.kinds.map((x) => x.name)), api("/api/health")]);
  } catch (err) {
    setPage(h("p", { class: "error" }, err.message));
    return;
  }
  if (!kinds.includes("watch")) {
    setPage(
      h("h1", {}, "Catalogue watchlist"),
      h("div", { class: "card notyet", id: "watch-status" }, h("b", {}, "Not available in this server. "), "It has no watch job kind registered."),
    );
    return;
  }
  const store = health.element_store || {};
  const status = store.exists
    ? h("div", { class: "card", id: "watch-status" }, "Ranks the objects of the local element store that may re-enter within the horizon: a fast screen of every object, then a Monte Carlo for the candidates. Runs in the background.")
    : h(
        "div",
        { class: "card notyet", id: "watch-status" },
        h("b", {}, "No element store yet. "),
        `The server reads ${store.path || "the default store"}, which does not exist: run \`deorbit ingest FILES\` or \`deorbit fetch\`, then refresh this page.`,
      );
  const asOf = h("input", { name: "as_of", placeholder: "now | 2021-03-10T00:00Z", size: "22" });
  const days = h("input", { name: "days", type: "number", min: "1", max: "365", step: "any", value: "30" });
  const samples = h("input", { name: "samples", type: "number", min: "1", max: "1000", value: "50" });
  const seed = h("input", { name: "seed", type: "number", min: "0", value: "1" });
  const out = h("div", { id: "watch-result" });
  const panel = jobPanel(
    "watch",
    () => {
      const p = { days: Number(days.value), samples: Number(samples.value), seed: Number(seed.value) };
      const a = asOf.value.trim();
      if (a && a.toLowerCase() !== "now") p.as_of = a;
      return p;
    },
    (job) => {
      out.textContent = "";
      if (job.status !== "succeeded") {
        out.append(h("p", { class: "error" }, job.error ? job.error.message : job.message));
        return;
      }
      out.append(watchSummary(job.result));
      if (job.result.objects.length) out.append(watchTable(job.result));
    },
  );
  const form = h(
    "form",
    { class: "inline", onsubmit: (e) => (e.preventDefault(), panel.start()) },
    h("label", {}, "As of (replay)", asOf),
    h("label", {}, "Horizon (days)", days),
    h("label", {}, "Samples (≤ 1000)", samples),
    h("label", {}, "Seed", seed),
    h("button", { id: "watch-button" }, "Run the watch"),
  );
  setPage(h("h1", {}, "Catalogue watchlist"), status, form, panel.status, out);
}

function route() {
  const hash = location.hash || "#/";
  const [path, qs] = hash.slice(1).split("?");
  const query = new URLSearchParams(qs || "");
  const m = path.match(/^\/object\/([^/]+)$/);
  if (m) return objectPage(decodeURIComponent(m[1]), query);
  if (path === "/watchlist") return watchlistPage();
  return searchPage();
}

// ---------------------------------------------------------------------------------------------
// entry

const embedded = document.getElementById("deorbit-data");
if (embedded) {
  // report mode: everything is in the file
  const data = JSON.parse(embedded.textContent);
  const mapEl = document.getElementById("map");
  if (mapEl) drawMap(mapEl, { geojson: data.countries, exposure: data.exposure, track: data.track, reentryPoints: data.prediction ? data.prediction.reentry.points : [] });
  const decayEl = document.getElementById("decay");
  if (decayEl && data.decay_curve) drawDecay(decayEl, data.decay_curve);
} else if (app) {
  window.addEventListener("hashchange", route);
  route();
}
