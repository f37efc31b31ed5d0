#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (scripts/setup.sh does it).
import { main } from "../dist/src/cli/main.js";
// `tiosa ... | head` closes the pipe early: that is not an error.
for (const s of [process.stdout, process.stderr]) s.on("error", (e) => { if (e.code === "EPIPE") process.exit(process.exitCode ?? 0); throw e; });
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
