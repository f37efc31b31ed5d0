import type { GuestState } from "../snapshot/schema.js";
import { remoteShellProbe } from "../guest/probes/remote-shell.js";
import type { OsTest } from "./os-test.js";

type Shell = NonNullable<GuestState["remoteShell"]>;

/** 2.3.i and 2.3.j: no change / - / changed, each on its half of the remote shell probe. */
function unchanged(id: "2.3.i" | "2.3.j", name: string, show: (r: Shell) => string, same: (a: Shell, b: Shell) => boolean,
  observed: (r: Shell) => string): OsTest<Shell> {
  return {
    definition: { id, name, group: "2.3 Connectivity", level: "os", rule: "unchanged", success: "no change", warning: "-", failure: "changed" },
    probe: remoteShellProbe,
    field: "remoteShell",
    value: (g) => g.remoteShell,
    show,
    decide: (s, t) => same(s, t) ? { verdict: "SUCCESS", reason: "no change" } : { verdict: "FAILURE", reason: `changed: ${show(s)} -> ${show(t)}` },
    observed: (g) => (g.remoteShell ? observed(g.remoteShell) : null),
  };
}

/** 2.3.i Remote Shell Process running. */
export const remoteShellProcess = unchanged("2.3.i", "Remote Shell Process running",
  (r) => `${r.process} ${r.running ? "running" : "not running"}`, (a, b) => a.process === b.process && a.running === b.running,
  (r) => `${r.process}: ${r.running ? "running" : "not running"}`);

/** 2.3.j Remote Shell Port available. */
export const remoteShellPort = unchanged("2.3.j", "Remote Shell Port available",
  (r) => `port ${r.port} ${r.listening ? "listening" : "closed"}`, (a, b) => a.port === b.port && a.listening === b.listening,
  (r) => `${r.port}: ${r.listening ? "listening" : "not listening"}`);
