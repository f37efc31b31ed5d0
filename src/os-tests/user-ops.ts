import { userOpsProbe, type UserOpName } from "../guest/probes/user-ops.js";
import type { OsTest } from "./os-test.js";

const showOp = (v: boolean) => (v ? "successful" : "failed");

/** 2.4.x: successful / - / failed, on the target; each test reads its operation of the one 2.4 run. */
function userOp(id: string, name: string, op: UserOpName): OsTest<boolean> {
  return {
    definition: { id, name, group: "2.4 Check file system and user management", level: "os", rule: "op-succeeds", success: "successful", warning: "-", failure: "failed" },
    probe: userOpsProbe,
    field: "userOps",
    value: (g) => g.userOps?.[op] ?? null,
    show: showOp,
    decide: (_s, t, input) => t ? { verdict: "SUCCESS", reason: "successful on the target" }
      : { verdict: "FAILURE", reason: `failed on the target${input.target.guest?.userOps?.detail ? `: ${input.target.guest.userOps.detail}` : ""}` },
    observed: (g) => { const v = g.userOps?.[op]; return v === true ? "successful" : v === false ? "failed" : null; },
  };
}

/** 2.4 Check file system and user management, in the order the guest script runs them. */
export const userManagement: readonly OsTest<boolean>[] = [
  userOp("2.4.a", "Add dummy user", "addUser"),
  userOp("2.4.b", "Write test file to home dir", "writeFile"),
  userOp("2.4.c", "Read test file from home dir", "readFile"),
  userOp("2.4.d", "Delete test file from home dir", "deleteFile"),
  userOp("2.4.e", "Change dummy user password", "changePassword"),
  userOp("2.4.f", "Delete dummy user", "deleteUser"),
];
