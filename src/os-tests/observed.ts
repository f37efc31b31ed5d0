/**
 * Sizes as `tiosa probe` writes them (whole MiB below a GiB, one decimal above), which is
 * not the reports' formatBytes: kept as it was so the command's output does not change.
 */
const GiB = 1024 ** 3;
export const probeSize = (b: number) => b >= GiB ? `${(b / GiB).toFixed(1)} GiB` : `${(b / 1024 ** 2).toFixed(0)} MiB`;
