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
  // dracut: its initqueue gave up (the root device never came), then its emergency shell.
  /dracut-initqueue.*timeout/,
  /Entering emergency mode\. Exit the shell to continue/,
  /Cannot open access to console, the root account is locked/,
  // systemd in a dracut initramfs waiting for the root disk with no time limit (rd.timeout=0,
  // its default): a root device found in seconds on a normal boot, still missing after two
  // minutes, will not come (the job's status line, shown with systemd.show_status=1).
  /(?:A start job is running for|Job) \S*dev[-/]disk[-/]by\S* ?\S*\s*\((?:[2-9]|\d{2,})min \d+s \/ no limit\)/,
  // The firmware found nothing to boot (SeaBIOS).
  /No bootable device/,
  /Boot failed: /,
];

/**
 * The whole console line showing a boot that will not finish (ANSI escapes and carriage
 * returns the kernel and systemd write to serial removed), or null.
 */
export function consoleBootFailure(consoleText: string): string | null {
  // CSI sequences (colours, erase line) and two-byte escapes (systemd's ESC M, reverse index);
  // a lone carriage return redraws a status line: each redraw is a line of its own.
  // eslint-disable-next-line no-control-regex
  const text = consoleText.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\x1b[@-Z\\-_]/g, "").replace(/\r\n?/g, "\n");
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
