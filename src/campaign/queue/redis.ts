import { Redis, type RedisOptions } from "ioredis";
import type { ConnectionOptions } from "bullmq";
import { UserError, errorMessage } from "../../errors.js";

/**
 * Where a campaign's job queue lives: a Redis server, named by a URL (`redis://[:PASSWORD@]HOST:PORT[/DB]`,
 * `rediss://` for TLS, `unix:///PATH/redis.sock[?password=...&db=N]`). Every message names
 * the server without its password.
 */
export interface RedisTarget {
  /** The URL as given (with its password): never printed. */
  url: string;
  /** The URL to print: the password replaced by `***`. */
  shown: string;
  options: RedisOptions;
}

/**
 * A password in the URL shows in `ps` to every user of the machine: without one in the URL,
 * `TIOSA_REDIS_PASSWORD` from the environment is used.
 */
export function parseQueueUrl(url: string, env: NodeJS.ProcessEnv = process.env): RedisTarget {
  const t = parseUrl(url);
  if (t.options.password === undefined && env.TIOSA_REDIS_PASSWORD) t.options.password = env.TIOSA_REDIS_PASSWORD;
  return t;
}

function parseUrl(url: string): RedisTarget {
  let u: URL;
  try { u = new URL(url); } catch { throw new UserError(`--queue '${url}' is not a URL (expected redis://[:PASSWORD@]HOST:PORT or unix:///PATH/redis.sock)`); }
  const shownUrl = new URL(url);
  if (shownUrl.password) shownUrl.password = "***";
  if (shownUrl.searchParams.has("password")) shownUrl.searchParams.set("password", "***");
  const shown = shownUrl.toString().replace("%2A%2A%2A", "***");
  const db = (s: string | null) => {
    if (!s) return 0;
    if (!/^\d+$/.test(s)) throw new UserError(`--queue ${shown}: database '${s}' is not a number`);
    return Number(s);
  };
  let options: RedisOptions;
  if (u.protocol === "redis:" || u.protocol === "rediss:") {
    if (!u.hostname) throw new UserError(`--queue ${shown}: no host`);
    options = {
      host: u.hostname.replace(/^\[|\]$/g, ""), port: u.port ? Number(u.port) : 6379, db: db(u.pathname.replace(/^\//, "") || null),
      ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      ...(u.protocol === "rediss:" ? { tls: {} } : {}),
    };
  } else if (u.protocol === "unix:") {
    if (!u.pathname || u.pathname === "/") throw new UserError(`--queue ${shown}: no socket path`);
    const password = u.searchParams.get("password");
    options = { path: decodeURIComponent(u.pathname), db: db(u.searchParams.get("db")), ...(password ? { password } : {}) };
  } else {
    throw new UserError(`--queue ${shown}: scheme '${u.protocol.replace(/:$/, "")}' is not redis, rediss or unix`);
  }
  return { url, shown, options };
}

/**
 * Options for BullMQ's connections: commands wait through a lost connection instead of
 * failing (BullMQ's workers require maxRetriesPerRequest null), and reconnecting goes on
 * for as long as it takes, every 0.5-5 s, so a Redis restart loses nothing.
 */
export function connectionOptions(t: RedisTarget): ConnectionOptions {
  return redisOptions(t) as ConnectionOptions;
}

function redisOptions(t: RedisTarget): RedisOptions {
  return { ...t.options, maxRetriesPerRequest: null, enableOfflineQueue: true, retryStrategy: (times: number) => Math.min(500 * times, 5000) };
}

/**
 * A connection of tiosa's own (the run registry), with the same patience as BullMQ's: its
 * commands wait through an outage. `log` hears of an outage once, and of its end.
 */
export function openRedis(t: RedisTarget, log?: (m: string) => void): Redis {
  const r = new Redis(redisOptions(t));
  let downSince: number | null = null;
  let lastError = "";
  r.on("error", (e: Error) => { lastError = e.message; });
  r.on("reconnecting", () => {
    if (downSince !== null) return;
    downSince = Date.now();
    log?.(`queue: Redis at ${t.shown} does not answer${lastError ? ` (${lastError})` : ""}; waiting for it`);
  });
  r.on("ready", () => {
    if (downSince === null) return;
    log?.(`queue: Redis at ${t.shown} answers again after ${Math.round((Date.now() - downSince) / 1000)} s`);
    downSince = null;
  });
  return r;
}

/**
 * Connects once, without retrying, and pings: a wrong host, port, socket or password is
 * exit 2 with the server named, within `timeoutMs` (the issue asks for 10 s).
 */
export async function checkRedis(t: RedisTarget, timeoutMs = 8000): Promise<void> {
  const r = new Redis({ ...t.options, lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  // A refused AUTH arrives as an error event; connect() then only says the connection closed.
  let firstError: string | null = null;
  r.on("error", (e: Error) => { firstError ??= e.message; });
  const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs).unref());
  try {
    await Promise.race([(async () => { await r.connect(); await r.ping(); })(), timer]);
  } catch (e) {
    const m = firstError ?? errorMessage(e);
    if (/WRONGPASS|invalid username-password|NOAUTH|AUTH.*(failed|without any password)/i.test(m)) {
      throw new UserError(`--queue ${t.shown}: Redis refused the credentials (${m.split("\n")[0]})`, "check the password in the URL (redis://:PASSWORD@HOST:PORT)");
    }
    throw new UserError(`--queue ${t.shown}: Redis is unreachable (${m.split("\n")[0]})`, "start it (scripts/setup.sh starts one for tests) or correct the URL");
  } finally {
    r.disconnect();
  }
}
