import { createHash } from "node:crypto";
import { dirname, resolve, isAbsolute } from "node:path";
import { stat } from "node:fs/promises";
import { z } from "zod";
import { YamlSource } from "../util/yaml-file.js";
import { readTextFile } from "../util/json-file.js";
import { UserError, errorMessage } from "../errors.js";
import { BUILTIN_FAMILIES, loadFamilyFile } from "../hypervisor/families/index.js";
import { RECIPES } from "../images/recipes/index.js";
import { resolveCaptureOptions, type CaptureOptions, type AppCheckSpec } from "../guest/options.js";

/**
 * campaign/v1: what a campaign moves where (hypervisors, guests, pairs, routes, cycles) and
 * how it judges the result (rules, probe options). Read from YAML; every error names the
 * line. See docs/campaigns.md.
 */

/** Names become parts of job ids, file names and libvirt domain names: keep them plain. */
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const Name = z.string().regex(NAME_RE, "a name is letters, digits, '.', '_' or '-' (at most 63, not starting with a symbol)");

export const PAPER_MIN_CYCLES = 3;

const Hypervisor = z.object({
  name: Name,
  /** libvirt connection URI, e.g. qemu:///system or qemu+ssh://root@host/system. */
  uri: z.string().min(1),
  /** A built-in hardware family (kvm, vmware, hyperv, xen) or the path of a family file (relative to the campaign file). */
  family: z.string().min(1),
  /**
   * At most this many jobs at a time on this hypervisor's host (hypervisors with the same URI
   * share one host and count together; the smallest of their slots holds). Default: the
   * campaign's concurrency.
   */
  slots: z.number().int().min(1).max(64).optional(),
}).strict();

const Ssh = z.object({
  user: z.string().min(1),
  /** Defaults to the address the hypervisor reports for the VM. */
  host: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  /** Private key file (relative to the campaign file). */
  identityFile: z.string().min(1).optional(),
  /** Name of the environment variable holding the password: never the password itself. */
  passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name").optional(),
}).strict();

const Guest = z.object({
  name: Name,
  /** An image recipe of `tiosa images` (built and cached by tiosa). */
  image: z.string().min(1).optional(),
  /** Or an existing VM (libvirt domain name) on one of the campaign's hypervisors... */
  vm: z.string().min(1).optional(),
  hypervisor: Name.optional(),
  /** ...with the credentials to reach it. */
  ssh: Ssh.optional(),
}).strict();

const Pair = z.object({ from: Name, to: Name }).strict();

const RouteList = z.array(z.string().min(1)).min(1);
const Routes = z.union([
  z.literal("all"),
  RouteList,
  z.object({
    use: z.union([z.literal("all"), RouteList]).default("all"),
    /** Keep only the first route of each pair (the demo's setting): a plain one, never `adapt`, which discovery lists last. */
    onePerPair: z.boolean().default(false),
  }).strict(),
]);

const Rdns = z.object({ address: z.string().min(1), expected: z.string().min(1).optional() }).strict();
const AppCheck = z.union([
  z.object({ name: z.string().min(1), command: z.string().min(1), expectExit: z.number().int().min(0).max(255).optional(), expectOutput: z.string().optional() }).strict(),
  z.object({ name: z.string().min(1), tcpPort: z.number().int().min(1).max(65535), host: z.string().min(1).optional() }).strict(),
  z.object({ name: z.string().min(1), httpUrl: z.string().min(1), expectStatus: z.number().int().min(100).max(599).optional() }).strict(),
]);

const Probe = z.object({
  icmp: z.object({
    /** 2.3.e target: an address, or "gateway" (the guest's default gateway; the default), or null to skip. */
    private: z.string().min(1).nullable().optional(),
    /** 2.3.f target; not requested when left out. */
    public: z.string().min(1).nullable().optional(),
  }).strict().optional(),
  reverseDns: z.object({ private: Rdns.optional(), public: Rdns.optional() }).strict().optional(),
  apps: z.array(AppCheck).default([]),
  /** 2.4 adds and removes a dummy user in the guest; false turns it off. */
  userOps: z.boolean().default(true),
  shell: z.object({ process: z.string().min(1).default("sshd"), port: z.number().int().min(1).max(65535).default(22) }).strict().optional(),
}).strict();

/** Seconds per step kind; a step that runs over its budget fails with a timeout. */
export const DEFAULT_TIMEOUTS = {
  metadata: 60,
  hypervisorTests: 900,
  capture: 180,
  stop: 120,
  convert: 1800,
  checkResources: 60,
  import: 600,
  boot: 300,
  compare: 60,
} as const;
export type TimeoutKind = keyof typeof DEFAULT_TIMEOUTS;
const Seconds = z.number().positive().max(86_400);
const Timeouts = z.object(Object.fromEntries(Object.keys(DEFAULT_TIMEOUTS).map((k) => [k, Seconds.optional()])) as Record<TimeoutKind, z.ZodOptional<typeof Seconds>>).strict();

export const CampaignFile = z.object({
  schemaVersion: z.literal("campaign/v1").default("campaign/v1"),
  name: Name.describe("Campaign name: part of the run id"),
  description: z.string().optional(),
  hypervisors: z.array(Hypervisor).min(1, "a campaign needs at least one hypervisor").describe("Hypervisors: name, libvirt URI and hardware family (kvm, vmware, hyperv, xen or a family file path)"),
  guests: z.array(Guest).min(1, "a campaign needs at least one guest").describe("Guests: {name, image: RECIPE} or {name, vm: DOMAIN, hypervisor: NAME, ssh: {user, host?, port?, identityFile | passwordEnv}}"),
  /** Default: every ordered pair of distinct hypervisors. */
  pairs: z.array(Pair).min(1).optional().describe("Ordered (from, to) pairs; default: every ordered pair of distinct hypervisors"),
  routes: Routes.default("all").describe("'all' discovered routes (default; the adapt route included), a list of route ids from `tiosa routes` (e.g. [adapt]), or {use, onePerPair}; onePerPair keeps each pair's first (plain) route"),
  /** The paper asks for at least 3 ("at least 3 execution cycles ... showing stable, identical results"). */
  cycles: z.number().int().min(1, "cycles must be at least 1").max(100).default(PAPER_MIN_CYCLES).describe("Execution cycles per case (the paper asks for at least 3)"),
  /** Rules profile (relative to the campaign file); the paper's rules when left out. */
  rules: z.string().min(1).optional().describe("Rules profile file, relative to the campaign file"),
  probe: Probe.prefault({}).describe("Probe options: ICMP targets, reverse-DNS expectations, application checks, user operations"),
  concurrency: z.number().int().min(1).max(64).default(1).describe("Cases run at the same time"),
  timeouts: Timeouts.default({}).describe("Seconds per step kind: metadata, hypervisorTests, capture, stop, convert, checkResources, import, boot, compare"),
  /** Where runs go (relative to the current directory, like `tiosa report --output`). */
  output: z.string().min(1).default("./tiosa-runs").describe("Directory of the runs, relative to the current directory"),
}).strict();
export type CampaignFile = z.infer<typeof CampaignFile>;

export type FamilyRef = { kind: "builtin"; name: string } | { kind: "file"; path: string; name?: string };

export interface CampaignHypervisor { name: string; uri: string; family: FamilyRef; slots?: number }

export type CampaignGuest =
  | { name: string; kind: "image"; recipe: string }
  | {
      name: string; kind: "vm"; vm: string; hypervisor: string;
      ssh: { user: string; host?: string; port?: number; identityFile?: string; passwordEnv?: string };
    };

/** A validated campaign with defaults applied and paths resolved. */
export interface Campaign {
  file: string;
  name: string;
  description?: string;
  /** The file's text and its SHA-256: a resumed run must be the same campaign. */
  text: string;
  hash: string;
  hypervisors: CampaignHypervisor[];
  guests: CampaignGuest[];
  pairs: { from: string; to: string }[];
  routes: { use: "all" | string[]; onePerPair: boolean };
  cycles: number;
  rulesFile: string | null;
  probe: CaptureOptions;
  concurrency: number;
  timeouts: Record<TimeoutKind, number>;
  output: string;
  /** Not fatal, shown before the run (e.g. fewer cycles than the paper's minimum). */
  warnings: string[];
  /** For later errors (unknown route id...) that should name a line of the file. */
  source: YamlSource;
}

const isFamilyPath = (s: string) => s.includes("/") || /\.(ya?ml|json)$/i.test(s);

function probeOptions(p: CampaignFile["probe"]): Partial<CaptureOptions> {
  const o: Partial<CaptureOptions> = { userOps: p.userOps };
  if (p.icmp?.private !== undefined) o.icmpPrivate = p.icmp.private;
  if (p.icmp?.public !== undefined) o.icmpPublic = p.icmp.public;
  if (p.reverseDns?.private) o.rdnsPrivate = { address: p.reverseDns.private.address, expected: p.reverseDns.private.expected ?? null };
  if (p.reverseDns?.public) o.rdnsPublic = { address: p.reverseDns.public.address, expected: p.reverseDns.public.expected ?? null };
  if (p.shell) { o.shellProcess = p.shell.process; o.shellPort = p.shell.port; }
  o.apps = p.apps.map((a): AppCheckSpec => {
    if ("command" in a) return { name: a.name, kind: "command", command: a.command, expectExit: a.expectExit ?? 0, ...(a.expectOutput !== undefined ? { expectOutput: a.expectOutput } : {}) };
    if ("tcpPort" in a) return { name: a.name, kind: "tcp", host: a.host ?? "127.0.0.1", port: a.tcpPort };
    return { name: a.name, kind: "http", url: a.httpUrl, expectStatus: a.expectStatus ?? 200 };
  });
  return o;
}

/** Parses and checks a campaign file's text. Pure except for reading nothing: family and rules files are checked by `loadCampaign`. */
export function parseCampaign(text: string, file: string): Campaign {
  const src = YamlSource.parse(text, file, "campaign file");
  const c = src.validate(CampaignFile);
  const base = dirname(resolve(file));
  const rel = (p: string) => (isAbsolute(p) ? p : resolve(base, p));

  const dup = (list: { name: string }[], key: string) => {
    const seen = new Set<string>();
    list.forEach((x, i) => {
      if (seen.has(x.name)) throw src.errorAt([key, i, "name"], `'${x.name}' is declared twice`);
      seen.add(x.name);
    });
  };
  dup(c.hypervisors, "hypervisors");
  dup(c.guests, "guests");
  const hvNames = new Set(c.hypervisors.map((h) => h.name));
  const builtin = BUILTIN_FAMILIES.map((f) => f.name);

  const hypervisors: CampaignHypervisor[] = c.hypervisors.map((h, i) => {
    const slots = h.slots !== undefined ? { slots: h.slots } : {};
    if (builtin.includes(h.family)) return { name: h.name, uri: h.uri, family: { kind: "builtin", name: h.family }, ...slots };
    if (isFamilyPath(h.family)) return { name: h.name, uri: h.uri, family: { kind: "file", path: rel(h.family) }, ...slots };
    throw src.errorAt(["hypervisors", i, "family"], `unknown family '${h.family}' (built-in: ${builtin.join(", ")}; or the path of a family file)`);
  });

  const recipes = RECIPES.map((r) => r.name);
  const guests: CampaignGuest[] = c.guests.map((g, i) => {
    const at = (k: string, m: string) => src.errorAt(["guests", i, k], m);
    if (g.image !== undefined) {
      if (g.vm !== undefined || g.hypervisor !== undefined || g.ssh !== undefined) {
        throw at("image", "a guest is either an image recipe (`image`) or an existing VM (`vm`, `hypervisor`, `ssh`), not both");
      }
      if (!recipes.includes(g.image)) throw at("image", `unknown image recipe '${g.image}' (known: ${recipes.join(", ")}; see \`tiosa images\`)`);
      return { name: g.name, kind: "image", recipe: g.image };
    }
    if (g.vm === undefined) throw src.errorAt(["guests", i], "a guest needs `image` (a recipe) or `vm` (an existing VM) with `hypervisor` and `ssh`");
    if (g.hypervisor === undefined) throw at("vm", "an existing VM needs `hypervisor`: the name of the campaign hypervisor it runs on");
    if (!hvNames.has(g.hypervisor)) throw at("hypervisor", `unknown hypervisor '${g.hypervisor}' (declared: ${[...hvNames].join(", ")})`);
    if (!g.ssh) throw at("vm", "an existing VM needs `ssh` credentials (user and identityFile or passwordEnv)");
    const ssh = g.ssh;
    if ((ssh.identityFile === undefined) === (ssh.passwordEnv === undefined)) {
      throw src.errorAt(["guests", i, "ssh"], "give exactly one of `identityFile` or `passwordEnv`");
    }
    return {
      name: g.name, kind: "vm", vm: g.vm, hypervisor: g.hypervisor,
      ssh: {
        user: ssh.user,
        ...(ssh.host !== undefined ? { host: ssh.host } : {}),
        ...(ssh.port !== undefined ? { port: ssh.port } : {}),
        ...(ssh.identityFile !== undefined ? { identityFile: rel(ssh.identityFile) } : {}),
        ...(ssh.passwordEnv !== undefined ? { passwordEnv: ssh.passwordEnv } : {}),
      },
    };
  });

  let pairs: { from: string; to: string }[];
  if (c.pairs) {
    const seen = new Set<string>();
    c.pairs.forEach((p, i) => {
      for (const k of ["from", "to"] as const) {
        if (!hvNames.has(p[k])) throw src.errorAt(["pairs", i, k], `unknown hypervisor '${p[k]}' (declared: ${[...hvNames].join(", ")})`);
      }
      if (p.from === p.to) throw src.errorAt(["pairs", i], `a pair moves between two different hypervisors ('${p.from}' twice)`);
      const key = `${p.from}->${p.to}`;
      if (seen.has(key)) throw src.errorAt(["pairs", i], `pair ${key} is listed twice`);
      seen.add(key);
    });
    pairs = c.pairs.map((p) => ({ from: p.from, to: p.to }));
  } else {
    pairs = [];
    for (const a of c.hypervisors) for (const b of c.hypervisors) if (a.name !== b.name) pairs.push({ from: a.name, to: b.name });
    if (pairs.length === 0) throw src.errorAt(["hypervisors"], "with one hypervisor there is nowhere to move a VM: declare at least two");
  }
  // An existing VM lives on one hypervisor: only pairs leaving it can use it as a source.
  for (const [i, g] of guests.entries()) {
    if (g.kind === "vm" && !pairs.some((p) => p.from === g.hypervisor)) {
      throw src.errorAt(["guests", i, "hypervisor"], `no pair starts from '${g.hypervisor}', so VM '${g.vm}' would never be moved`);
    }
  }

  const routes = c.routes === "all" ? { use: "all" as const, onePerPair: false }
    : Array.isArray(c.routes) ? { use: c.routes, onePerPair: false }
    : { use: c.routes.use, onePerPair: c.routes.onePerPair };

  let probe: CaptureOptions;
  try {
    probe = resolveCaptureOptions(probeOptions(c.probe));
  } catch (e) {
    // Point at the application check at fault when it is one.
    const apps = probeOptions(c.probe).apps ?? [];
    const bad = apps.findIndex((a) => { try { resolveCaptureOptions({ apps: [a] }); return false; } catch { return true; } });
    throw src.errorAt(bad >= 0 ? ["probe", "apps", bad] : ["probe"], errorMessage(e));
  }

  const warnings: string[] = [];
  if (c.cycles < PAPER_MIN_CYCLES) {
    warnings.push(`campaign file '${file}', line ${src.lineOf(["cycles"]) ?? "?"}: cycles: ${c.cycles} is below the paper's minimum of ${PAPER_MIN_CYCLES}; stability cannot be shown with fewer`);
  }

  return {
    file, name: c.name, ...(c.description !== undefined ? { description: c.description } : {}),
    text, hash: createHash("sha256").update(text).digest("hex"),
    hypervisors, guests, pairs, routes, cycles: c.cycles,
    rulesFile: c.rules !== undefined ? rel(c.rules) : null,
    probe, concurrency: c.concurrency,
    timeouts: { ...DEFAULT_TIMEOUTS, ...Object.fromEntries(Object.entries(c.timeouts).filter(([, v]) => v !== undefined)) } as Record<TimeoutKind, number>,
    output: c.output, warnings, source: src,
  };
}

/** Reads a campaign file, checks the files it names and loads its user families. */
export async function loadCampaign(file: string): Promise<Campaign> {
  const text = await readTextFile(file, "campaign file", 1024 * 1024);
  const c = parseCampaign(text, file);
  const mustExist = async (path: string, at: PropertyKey[], what: string) => {
    try {
      if (!(await stat(path)).isFile()) throw new Error("not a regular file");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw c.source.errorAt(at, `${what} '${path}': ${code === "ENOENT" ? "no such file" : errorMessage(e)}`);
    }
  };
  if (c.rulesFile) await mustExist(c.rulesFile, ["rules"], "rules file");
  for (const [i, g] of c.guests.entries()) {
    if (g.kind === "vm" && g.ssh.identityFile) await mustExist(g.ssh.identityFile, ["guests", i, "ssh", "identityFile"], "identity file");
  }
  for (const [i, h] of c.hypervisors.entries()) {
    if (h.family.kind !== "file") continue;
    await mustExist(h.family.path, ["hypervisors", i, "family"], "family file");
    try {
      h.family.name = (await loadFamilyFile(h.family.path)).name;
    } catch (e) {
      throw c.source.errorAt(["hypervisors", i, "family"], errorMessage(e));
    }
  }
  return c;
}

/** The family name a hypervisor's guests get (for route discovery and reports). */
export function familyName(h: CampaignHypervisor): string {
  if (h.family.kind === "builtin") return h.family.name;
  if (!h.family.name) throw new UserError(`hypervisor '${h.name}': family file '${h.family.path}' was not loaded (use loadCampaign)`);
  return h.family.name;
}
