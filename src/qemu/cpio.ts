/**
 * A newc ("070701") cpio archive, the format the Linux kernel unpacks as an initramfs. Written
 * in memory so device nodes (/dev/console) need neither root nor mknod.
 */
interface CpioEntry {
  /** Path without a leading slash. */
  name: string;
  /** Full st_mode: type bits and permissions (0o100755 a file, 0o040755 a directory, 0o020600 a char device). */
  mode: number;
  data?: Buffer;
  /** Device major and minor for device nodes. */
  rdev?: [number, number];
}

const pad4 = (n: number) => (4 - (n % 4)) % 4;

export function newcCpio(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  const hex = (n: number) => n.toString(16).padStart(8, "0");
  const add = (e: CpioEntry) => {
    const data = e.data ?? Buffer.alloc(0);
    const name = Buffer.from(`${e.name}\0`, "utf8");
    const fields = [
      ino++, e.mode, 0, 0, 1, 0, data.length, // ino, mode, uid, gid, nlink, mtime, filesize
      0, 0, e.rdev?.[0] ?? 0, e.rdev?.[1] ?? 0, // devmajor, devminor, rdevmajor, rdevminor
      name.length, 0, // namesize, check
    ];
    const header = Buffer.from(`070701${fields.map(hex).join("")}`, "latin1");
    parts.push(header, name, Buffer.alloc(pad4(header.length + name.length)), data, Buffer.alloc(pad4(data.length)));
  };
  for (const e of entries) add(e);
  add({ name: "TRAILER!!!", mode: 0 });
  return Buffer.concat(parts);
}
