#!/usr/bin/python3
"""Testinfra side of bench/probe.ts: the same facts tiosa's probe collects (pings
excluded), over ssh:// to the same sshd, one fresh Testinfra host per run.

usage: probe_testinfra.py PORT IDENTITY KNOWN_HOSTS RUNS MUX(0|1) WORKDIR
Prints {"times_ms": [...], "facts": N} on stdout.
"""
import json
import os
import random
import string
import subprocess
import sys
import time

import testinfra

port, identity, known_hosts, runs, mux, workdir = sys.argv[1:7]
runs = int(runs)


def one_run(i):
    cfg = os.path.join(workdir, "ssh_config.%d" % i)
    with open(cfg, "w") as f:
        f.write("Host 127.0.0.1\n  Port %s\n  User root\n  IdentityFile %s\n"
                "  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n  BatchMode yes\n" % (port, identity, known_hosts))
        if mux == "1":
            # Testinfra asks for ControlMaster=auto; without a ControlPath ssh ignores it
            f.write("  ControlPath %s/cm-%%C\n" % workdir)
    host = testinfra.get_host("ssh://root@127.0.0.1:%s" % port, ssh_config=cfg)
    facts = []
    # 2.1
    facts += [host.check_output("uname -r"), host.check_output("uname -m"), host.check_output("uname -v"),
              host.check_output("hostname"), host.file("/etc/os-release").content_string]
    # 2.2
    facts += [host.check_output("nproc"), host.file("/proc/cpuinfo").content_string,
              host.file("/proc/meminfo").content_string,
              json.loads(host.check_output("findmnt -J -l -b -o TARGET,SOURCE,FSTYPE,SIZE,UUID"))]
    # 2.3.a/b: NICs, addresses, drivers
    links = json.loads(host.check_output("ip -j addr show"))
    for link in links:
        drv = host.file("/sys/class/net/%s/device/driver" % link["ifname"])
        facts.append(drv.linked_to if drv.exists else None)
    # 2.3.c firewall, 2.3.d routes
    facts += [host.run("nft -j list ruleset").stdout, host.run("iptables-save -V").stdout, host.run("iptables-save").stdout,
              host.run("ip6tables-save").stdout, host.run("iptables-legacy-save").stdout, host.run("ip6tables-legacy-save").stdout,
              json.loads(host.check_output("ip -j -4 route show")), json.loads(host.check_output("ip -j -6 route show"))]
    # 2.3.i/j
    facts += [len(host.process.filter(comm="sshd")) > 0, host.socket("tcp://127.0.0.1:%s" % port).is_listening]
    # 2.4
    u = "tiosa_" + "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(8))
    f = "/home/%s/tiosa-probe.txt" % u
    try:
        facts.append(host.run("useradd -m -s /bin/sh %s" % u).rc == 0 and host.user(u).exists)
        facts.append(host.run("su -s /bin/sh -c 'echo tiosa > %s' %s" % (f, u)).rc == 0)
        facts.append(host.file(f).content_string.strip() == "tiosa")
        facts.append(host.run("su -s /bin/sh -c 'rm -f %s' %s" % (f, u)).rc == 0 and not host.file(f).exists)
        facts.append(host.run("echo %s:Pw%d | chpasswd" % (u, random.randint(1, 10**9))).rc == 0)
        facts.append(host.run("userdel -r %s" % u).rc == 0 and not host.user(u).exists)
    finally:
        host.run("id %s >/dev/null 2>&1 && userdel -r %s" % (u, u))
    return len(facts), cfg


times = []
n = 0
for i in range(runs):
    t0 = time.perf_counter()
    n, cfg = one_run(i)
    times.append((time.perf_counter() - t0) * 1000)
    if mux == "1":  # stop this run's master outside the timing, so the next run starts cold
        subprocess.run(["ssh", "-F", cfg, "-O", "exit", "127.0.0.1"], capture_output=True)
print(json.dumps({"times_ms": times, "facts": n}))
