/**
 * Exit statuses are a stable interface (README "Exit status"): scripts branch on them.
 * 0/10/20 are verdicts, 2 is "your input or your target is wrong", 1 is "our bug".
 */
export const ExitCode = {
  SUCCESS: 0,
  WARNING: 10,
  FAILURE: 20,
  BAD_INPUT: 2,
  INTERNAL: 1,
} as const;

/**
 * An error the user can fix: a bad file, an unreachable host, a missing VM.
 * The CLI prints `message` (which must name the input and what is wrong) and exits 2,
 * never a stack trace.
 */
export class UserError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = "UserError";
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
