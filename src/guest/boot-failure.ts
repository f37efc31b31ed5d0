/**
 * Serial console lines that mean the guest will never come up by itself (issue 8; lab
 * findings). One list for both of its readers: waiting for a guest ends early on such a line
 * (hypervisor/launch.ts), and a failed case is classified as OS related by it
 * (campaign/causes.ts). First listed, first reported when several show.
 */
const BOOT_FAILURE_PATTERNS: readonly RegExp[] = [
  /ALERT!.*does not exist/,
  /Gave up waiting for root (file system )?device/,
  /\(initramfs\)\s*$/m,
  /Kernel panic - not syncing/,
  /VFS: Unable to mount root fs/,
  /You are in emergency mode/,
  /Give root password for maintenance/,
  /Welcome to emergency mode!/,
  // The firmware found nothing to boot (SeaBIOS).
  /No bootable device/,
  /Boot failed: /,
];

/**
 * The whole console line showing a boot that will not finish (ANSI escapes and carriage
 * returns the kernel and systemd write to serial removed), or null.
 */
export function consoleBootFailure(consoleText: string): string | null {
  // eslint-disable-next-line no-control-regex
  const text = consoleText.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r/g, "");
  for (const re of BOOT_FAILURE_PATTERNS) {
    const m = re.exec(text);
    if (m) {
      const start = text.lastIndexOf("\n", m.index) + 1;
      const end = text.indexOf("\n", m.index + m[0].length);
      return text.slice(start, end < 0 ? undefined : end).trim() || m[0].trim();
    }
  }
  return null;
}
