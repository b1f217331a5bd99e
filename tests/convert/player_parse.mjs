// Reads an asciicast through asciinema-player's own parser and prints what the player
// understood as JSON: {cols, rows, events: [[ms, code, data], ...]}.
// Usage: node player_parse.mjs NPM_PREFIX FILE.cast
// The player keeps its parser module-private (dist/core-*.js, registered in its PARSERS map
// under "asciicast"); a sibling module beside it re-exports that function unchanged.
import fs from "node:fs";
import path from "node:path";
import url from "node:url";

const [prefix, castPath] = process.argv.slice(2);
const dist = path.join(prefix, "node_modules", "asciinema-player", "dist");
const core = fs.readdirSync(dist).find((f) => /^core-.*\.js$/.test(f));
if (!core) throw new Error(`no core module in ${dist}`);
const src = fs.readFileSync(path.join(dist, core), "utf8");
const m = src.match(/\["asciicast",\s*([\w$]+)\]/);
if (!m) throw new Error("the player's asciicast parser was not found");
const shim = path.join(dist, "tap-parse-shim.js");
fs.writeFileSync(shim, `${src}\nexport { ${m[1]} as tapParseAsciicast };\n`);
const { tapParseAsciicast } = await import(url.pathToFileURL(shim).href);
const rec = await tapParseAsciicast(new Response(fs.readFileSync(castPath)));
const events = Array.from(rec.events);
process.stdout.write(JSON.stringify({ cols: rec.cols, rows: rec.rows, events }));
