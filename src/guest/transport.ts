import { timedAs } from "../util/time-ledger.js";

/**
 * A guest transport runs one shell script as root inside a guest and returns its output.
 * Probes never see which transport carried them: SSH, the QEMU guest agent or this machine.
 */
export type TransportKind = "ssh" | "qga" | "local";

export interface GuestExecOptions {
  /** Give up (and close the channel) after this many ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface GuestExecResult {
  /** Exit status of the script; null when it was killed or the transport lost it. */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface GuestTransport {
  readonly kind: TransportKind;
  /** Where it talks to, for messages: "root@10.0.0.5:22", "qga:/run/x.sock". */
  readonly label: string;
  /** Runs a POSIX sh script as root (sudo -n for a non-root SSH user). */
  exec(script: string, opts?: GuestExecOptions): Promise<GuestExecResult>;
  close(): Promise<void>;
  /** A fresh connection to the same guest, for clean-up after the first one died. */
  reconnect?(): Promise<GuestTransport>;
}

/** The transport lost its guest (connection reset, agent gone): distinct from a script failing. */
export class TransportLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TransportLostError";
  }
}

/**
 * The same transport with each script's time recorded as time in the guest (a step's time
 * breakdown, src/util/time-ledger.ts); tiosa's own SSH and guest-agent transports record
 * theirs themselves, a driver's own channel (guestShell) is wrapped in this.
 */
export function timedTransport(t: GuestTransport): GuestTransport {
  return {
    kind: t.kind,
    label: t.label,
    exec: (script, opts) => timedAs("guest", t.label, () => t.exec(script, opts)),
    close: () => t.close(),
    ...(t.reconnect ? { reconnect: async () => timedTransport(await t.reconnect!()) } : {}),
  };
}
