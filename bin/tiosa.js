#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (scripts/setup.sh does it).
import { main } from "../dist/src/cli/main.js";
// `tiosa ... | head` closes the pipe early: not an error, and no reason to skip cleanup of
// VMs or work files the command created, so the command runs on with its output dropped.
for (const s of [process.stdout, process.stderr]) s.on("error", (e) => { if (e.code === "EPIPE") return; throw e; });
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
