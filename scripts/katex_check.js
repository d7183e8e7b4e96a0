// Renders every LaTeX derivation of the snapshot tests (matgrad-macros-core/src/math/snapshots)
// with KaTeX, failing on the first that KaTeX cannot parse.
//
//   npm install --prefix /tmp/katex katex@0.16 && NODE_PATH=/tmp/katex/node_modules node scripts/katex_check.js
//
// Not part of CI (a fresh machine has no Node.js); run it after changing how terms are written.
const fs = require("fs");
const path = require("path");
const katex = require("katex");

const dir = path.join(__dirname, "..", "matgrad-macros-core", "src", "math", "snapshots");
let checked = 0;
for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".snap"))) {
  const text = fs.readFileSync(path.join(dir, file), "utf8");
  for (const block of text.match(/\\begin\{aligned\}[\s\S]*?\\end\{aligned\}/g) || []) {
    katex.renderToString(block, { displayMode: true, throwOnError: true, strict: "ignore" });
    checked += 1;
  }
}
console.log(`KaTeX ${katex.version} rendered ${checked} derivations`);
if (checked === 0) process.exit(1);
