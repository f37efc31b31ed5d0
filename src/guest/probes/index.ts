import type { Probe } from "../probe.js";
import { osProbe } from "./os.js";
import { resourcesProbe } from "./resources.js";
import { filesystemsProbe } from "./filesystems.js";
import { interfacesProbe } from "./interfaces.js";
import { firewallProbe } from "./firewall.js";
import { routesProbe } from "./routes.js";
import { icmpProbe } from "./icmp.js";
import { rdnsProbe } from "./rdns.js";
import { remoteShellProbe } from "./remote-shell.js";
import { appsProbe } from "./apps.js";

/** Table III groups 2.1-2.3 plus application checks; 2.4 runs apart (it changes the guest). */
export const PROBES: readonly Probe[] = [
  osProbe, resourcesProbe, filesystemsProbe, interfacesProbe, firewallProbe, routesProbe,
  icmpProbe, rdnsProbe, remoteShellProbe, appsProbe,
];
