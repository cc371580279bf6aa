/** Number formats shared by the plots and tables of the HTML report. */

/** A latency in ms, with as many decimals as its size deserves (0.042, 4.20, 42.0, 420). */
export function fmtMs(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a < 1) return v.toFixed(3);
  if (a < 10) return v.toFixed(2);
  if (a < 100) return v.toFixed(1);
  return v.toFixed(0);
}

/** A count or scalar: integers as they are, others with two decimals. */
export function fmtNum(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/** A coordinate in the SVG (one decimal is below a pixel at any zoom we care about). */
export function px(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

/** Byte counts as a reader says them: 1.5 GiB. */
export function fmtBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
