// Build the dashboard and vendor it into the Python package (src/deorbit/service/static/).
//
//   cd frontend && npm ci && npm run build
//
// Output: app.js (IIFE, minified: Leaflet + uPlot + our code), app.css (Leaflet's and uPlot's
// CSS with their few images inlined as data: URLs), index.html, LICENSES.txt.  Nothing is
// loaded from another origin at run time: no tiles, no fonts, no CDN.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "src", "deorbit", "service", "static");
mkdirSync(out, { recursive: true });

await build({
  entryPoints: { app: join(here, "src", "main.js") },
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  outdir: out,
  loader: { ".png": "dataurl", ".svg": "dataurl" },
  legalComments: "none",
  logLevel: "info",
});

copyFileSync(join(here, "src", "index.html"), join(out, "index.html"));

const pkg = (name) => JSON.parse(readFileSync(join(here, "node_modules", name, "package.json")));
const licence = (name, file) => readFileSync(join(here, "node_modules", name, file), "utf8");
writeFileSync(
  join(out, "LICENSES.txt"),
  [
    "Third-party code bundled in app.js and app.css (built from frontend/, see docs/notes/service.md)",
    "",
    `== leaflet ${pkg("leaflet").version} (BSD-2-Clause) ==`,
    licence("leaflet", "LICENSE"),
    `== uplot ${pkg("uplot").version} (MIT) ==`,
    licence("uplot", "LICENSE"),
  ].join("\n"),
);

for (const f of ["app.js", "app.css", "index.html", "LICENSES.txt"]) {
  console.log(`${f.padEnd(14)} ${(statSync(join(out, f)).size / 1024).toFixed(1)} kB`);
}
