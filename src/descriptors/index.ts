import { UserError } from "../errors.js";
import { HypervisorInventory, type VmInventory } from "../inventory/model.js";
import { openRegularFile, readAtMost } from "../util/regular-file.js";
import { parseLibvirtDomainXml } from "./libvirt-xml.js";
import { MAX_VMX_BYTES, MAX_XML_DESCRIPTOR_BYTES, checkFileSize } from "./limits.js";
import { looksLikeTar, openOva, type OvaOptions } from "./ova.js";
import { parseOvf, type OvfDocument } from "./ovf-read.js";
import { looksLikeVmx, parseVmx } from "./vmx.js";
import { decodeDescriptorText, xmlProlog } from "./xml-text.js";

type DescriptorKind = "libvirt-xml" | "ovf" | "ova" | "vmx";

interface ReadDescriptorOptions extends OvaOptions {}

/**
 * Reads any VM descriptor file into the inventory model, deciding what it is by its
 * content (a renamed .ova is still a tar, an .xml may be OVF): libvirt domain XML, OVF,
 * OVA (fully verified: see ova.ts) or VMX. Only regular files are read (a FIFO or device
 * would block or have side effects), and text descriptors only up to the sizes in limits.ts.
 */
export async function readDescriptor(path: string, opts: ReadDescriptorOptions = {}): Promise<HypervisorInventory> {
  const { fh, size } = await openRegularFile(path);
  let head: Buffer, bytes: Buffer | null = null;
  try {
    head = Buffer.alloc(Math.min(size, 512));
    await fh.read(head, 0, head.length, 0);
    if (!looksLikeTar(head)) {
      checkFileSize(path, size, MAX_XML_DESCRIPTOR_BYTES, "a text descriptor that is not a tar (OVA) archive");
      bytes = await readAtMost(fh, path, MAX_XML_DESCRIPTOR_BYTES, "a text descriptor that is not a tar (OVA) archive");
    }
  } finally {
    await fh.close();
  }

  if (bytes === null) {
    const pkg = await openOva(path, opts);
    try {
      return inventoryOf(path, pkg.descriptor.vms.map((vm) => ({ ...vm, origin: "ova", notes: [...vm.notes, ...pkg.notes] })));
    } finally {
      await pkg.remove();
    }
  }
  const kind = sniff(bytes);
  switch (kind.kind) {
    case "ovf": {
      const doc: OvfDocument = parseOvf(bytes, path);
      return inventoryOf(path, doc.vms);
    }
    case "libvirt-xml": {
      const { text } = decodeDescriptorText(bytes);
      return inventoryOf(path, [parseLibvirtDomainXml(text, path)]);
    }
    case "vmx":
      checkFileSize(path, bytes.length, MAX_VMX_BYTES, "a .vmx file");
      return inventoryOf(path, [parseVmx(bytes.toString("utf8"), path)]);
    default:
      throw new UserError(`${path}: not a VM descriptor we can read (${kind.lookedLike}); expected OVF, OVA, VMX or libvirt domain XML`);
  }
}

/** Decides what a text file is from its content. */
export function sniff(bytes: Buffer): { kind: DescriptorKind | "unknown"; lookedLike: string } {
  if (bytes.includes(0) && !(bytes[0] === 0xff || bytes[0] === 0xfe || bytes[1] === 0)) {
    return { kind: "unknown", lookedLike: "binary data" };
  }
  const { text } = decodeDescriptorText(bytes.subarray(0, 64 * 1024));
  const root = xmlProlog(text).root;
  if (root) {
    if (root.name === "Envelope") return { kind: "ovf", lookedLike: "OVF" };
    if (root.name === "domain") return { kind: "libvirt-xml", lookedLike: "libvirt domain XML" };
    return { kind: "unknown", lookedLike: `XML with root element <${root.prefix ?? ""}${root.name}>` };
  }
  // [ \t]* rather than \s* after ^ in multi-line patterns: \s* would run across newlines from every line start (quadratic in blank lines).
  if (/^[ \t]*(SHA1|SHA256|SHA512)[ \t]*\(.+\)[ \t]*=[ \t]*[0-9a-f]+[ \t\r]*$/im.test(text)) return { kind: "unknown", lookedLike: "an OVF manifest (.mf: digest lines), not a descriptor" };
  if (/^[ \t]*#[ \t]*Disk DescriptorFile/im.test(text)) return { kind: "unknown", lookedLike: "a VMDK disk descriptor, not a VM descriptor" };
  if (looksLikeVmx(text)) return { kind: "vmx", lookedLike: "VMX" };
  if (text.trim() === "") return { kind: "unknown", lookedLike: "an empty file" };
  const first = text.trim().split(/\r?\n/)[0]!.slice(0, 60);
  return { kind: "unknown", lookedLike: `text starting with ${JSON.stringify(first)}` };
}

function inventoryOf(target: string, vms: VmInventory[]): HypervisorInventory {
  const types = [...new Set(vms.map((v) => v.hypervisorType).filter((t): t is string => t !== null))];
  return HypervisorInventory.parse({
    target,
    hypervisor: { type: types.length === 1 ? types[0] : types.length ? types.join(",") : null, vendor: null, version: null },
    vmCount: vms.length,
    vms,
  });
}
