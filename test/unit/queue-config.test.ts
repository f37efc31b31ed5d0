import { test } from "node:test";
import assert from "node:assert/strict";
import { parseQueueUrl } from "../../src/campaign/queue/redis.js";
import { bullJobId, hostQueues } from "../../src/campaign/queue/manifest.js";
import type { Plan } from "../../src/campaign/plan.js";
import { main } from "../../src/cli/main.js";

test("--queue URLs: redis, rediss, unix sockets with password and db; the printed form hides the password", () => {
  const a = parseQueueUrl("redis://:s3cret@10.0.0.5:6390/2");
  assert.deepEqual(a.options, { host: "10.0.0.5", port: 6390, db: 2, password: "s3cret" });
  assert.equal(a.shown, "redis://:***@10.0.0.5:6390/2");
  const b = parseQueueUrl("rediss://tiosa:pw@redis.lab");
  assert.deepEqual(b.options, { host: "redis.lab", port: 6379, db: 0, username: "tiosa", password: "pw", tls: {} });
  assert.ok(!b.shown.includes("pw"));
  const c = parseQueueUrl("unix:///run/redis/redis.sock?password=x1&db=3");
  assert.deepEqual(c.options, { path: "/run/redis/redis.sock", db: 3, password: "x1" });
  assert.ok(!c.shown.includes("x1"));
});

test("--queue: a URL that is not one, another scheme, no host or a bad database is bad input naming it", () => {
  assert.throws(() => parseQueueUrl("localhost:6379"), /scheme 'localhost' is not redis, rediss or unix|is not a URL/);
  assert.throws(() => parseQueueUrl("http://h:1"), /scheme 'http' is not redis, rediss or unix/);
  assert.throws(() => parseQueueUrl("redis://:pw@h:1/x"), (e: Error) => /database 'x' is not a number/.test(e.message) && !e.message.includes("pw"));
  assert.throws(() => parseQueueUrl("unix:///"), /no socket path/);
});

test("one queue per host: hypervisors with the same URI share it, and its slots are the smallest of theirs (or the campaign's concurrency)", () => {
  const plan = { hypervisors: [
    { name: "kvm", uri: "qemu:///system", family: "kvm", slots: 3 }, { name: "vmware", uri: "qemu:///system", family: "vmware", slots: 2 },
    { name: "b", uri: "qemu+ssh://root@b/system", family: "kvm" },
  ] } as unknown as Plan;
  const hosts = hostQueues("20261206-235250-paper", plan, 4);
  assert.deepEqual(hosts.map((h) => [h.uri, h.hypervisors, h.slots]), [["qemu:///system", ["kvm", "vmware"], 2], ["qemu+ssh://root@b/system", ["b"], 4]]);
  assert.ok(hosts.every((h) => !h.queue.includes(":")), "BullMQ keeps ':' for itself");
  const id = bullJobId("r1", "case/g/kvm->vmware/export-ova+qemu-img:vmdk>qcow2+define/c1");
  assert.ok(!id.includes(":") && id !== bullJobId("r1", "case/g/kvm->vmware/export-ova+qemu-img:vmdk>qcow2+define/c2"));
  assert.notEqual(bullJobId("r1", "capture/g/kvm/c1", "release"), bullJobId("r1", "capture/g/kvm/c1"));
});

test("tiosa worker: without --serves or --queue, exit 2 saying what to give", async () => {
  for (const args of [["worker", "--queue", "redis://127.0.0.1:6390"], ["worker", "--serves", "kvm"]]) {
    let err = "";
    assert.equal(await main(args, { out: () => undefined, err: (s) => { err += s; } }), 2);
    assert.match(err, /give (the hypervisors this worker serves with --serves|the queue's Redis with --queue)/);
  }
});

test("--queue without a password in the URL takes TIOSA_REDIS_PASSWORD (a URL's password shows in ps); one in the URL wins", () => {
  assert.equal(parseQueueUrl("redis://127.0.0.1:6390", { TIOSA_REDIS_PASSWORD: "fromenv" }).options.password, "fromenv");
  assert.equal(parseQueueUrl("redis://:inurl@127.0.0.1:6390", { TIOSA_REDIS_PASSWORD: "fromenv" }).options.password, "inurl");
  assert.equal(parseQueueUrl("redis://127.0.0.1:6390", {}).options.password, undefined);
});
