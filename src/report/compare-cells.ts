import { compareLabels, type Lang } from './compare-labels.js';
import type { ChangeCell, Comparison, SettingKey } from './compare-model.js';
import { NOISY_SPREAD, settingValue } from './compare-model.js';
import type { ReportFlushSettings } from '../model/report.js';
import { falsePositiveRate, MIN_ROUNDS } from '../model/significance.js';

/** How a change cell is coloured: by the direction that is better, only when significant. */
export type Tone = 'better' | 'worse' | 'plain';

export interface Cell {
  text: string;
  tone: Tone;
}

/** The comparison as rows of plain-text cells: the terminal table and Markdown share it. */
export interface CompareGrid {
  head: string[];
  /** Settings rows, then measured rows. */
  rows: Cell[][];
  /** How many of `rows` restate settings. */
  settingRows: number;
  footer: string;
}

/** A measured value as the table prints it: ms with 2 decimals, counts as integers when whole. */
export function formatValue(v: number | null, unit: 'ms' | 'count'): string {
  if (v === null) return '–';
  if (unit === 'ms') return `${v.toFixed(2)} ms`;
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

export function formatPct(p: number | null): string {
  if (p === null) return 'n/a';
  const r = Math.round(p * 10) / 10;
  return `${r > 0 ? '+' : r < 0 ? '-' : ''}${Math.abs(r).toFixed(1)} %`;
}

export function formatSetting(s: ReportFlushSettings | null, key: SettingKey, lang: Lang): string {
  if (s === null) return '–';
  const L = compareLabels(lang);
  const v = settingValue(s, key);
  if (key === 'kernel_wait') return v === null ? L.eventDriven : `${v} ms`;
  if (v === null) return L.none;
  return key === 'flush_interval' ? `${v} ms` : `${L.chars(v)}${L.atOnce(s.buffer_chars)}`;
}

export function changeCell(c: ChangeCell, lang: Lang): Cell {
  const L = compareLabels(lang);
  if (c.missing) return { text: '–', tone: 'plain' };
  const pct = formatPct(c.pct);
  switch (c.verdict.kind) {
    case 'significant':
      return { text: L.significant(pct, c.better === true), tone: c.better === true ? 'better' : 'worse' };
    case 'not_significant':
      return { text: L.notSignificant(pct), tone: 'plain' };
    case 'too_few_rounds':
      return { text: L.notJudged(pct, c.verdict.rounds), tone: 'plain' };
  }
}

/** A change in % as the compact table prints it: `−59 %`, `+5.0 %`, or a ratio past ±1000 % (`×2116`). */
export function formatPctShort(p: number | null): string {
  if (p === null) return 'n/a';
  if (p >= 1000) return `×${Math.round(1 + p / 100)}`;
  const r = Math.abs(p) < 10 ? Math.round(p * 10) / 10 : Math.round(p);
  const digits = Math.abs(p) < 10 ? 1 : 0;
  return `${r > 0 ? '+' : r < 0 ? '−' : ''}${Math.abs(r).toFixed(digits)} %`;
}

const MARK = { better: '✓', worse: '✗', same: '≈', unjudged: '?' } as const;

/** The compact change cell: `−59 % ✓` (the legend says what the marks mean). */
export function changeCellShort(c: ChangeCell): Cell {
  if (c.missing) return { text: '–', tone: 'plain' };
  const pct = formatPctShort(c.pct);
  switch (c.verdict.kind) {
    case 'significant':
      return { text: `${pct} ${c.better === true ? MARK.better : MARK.worse}`, tone: c.better === true ? 'better' : 'worse' };
    case 'not_significant':
      return { text: `${pct} ${MARK.same}`, tone: 'plain' };
    case 'too_few_rounds':
      return { text: `${pct} ${MARK.unjudged}`, tone: 'plain' };
  }
}

/** A setting as the compact table prints it: `100 ms`, `15/20` (minimum/buffer chars), `none`. */
export function formatSettingShort(s: ReportFlushSettings | null, key: SettingKey, lang: Lang): string {
  if (s === null) return '–';
  const v = settingValue(s, key);
  if (v === null) return compareLabels(lang).none;
  return key === 'char_threshold' ? `${v}/${s.buffer_chars}` : `${v} ms`;
}

export interface GridOptions {
  /** Short row names with a legend, compact change cells (the terminal's default); else every word. */
  compact?: boolean;
  /** Compact only: the change columns headed `Δ2`, `Δ3`… (named in the legend) to save width. */
  numberedChanges?: boolean;
}

/**
 * Columns: the row name, one per configuration, then the change of each later configuration
 * against the first. First rows restate the settings (flush interval, character threshold, kernel
 * wait), as the guide's table does; then one row per measure.
 */
export function compareGrid(cmp: Comparison, lang: Lang, options: GridOptions = {}): CompareGrid {
  if (options.compact === true) return compactGrid(cmp, lang, options.numberedChanges === true);
  const L = compareLabels(lang);
  const plain = (text: string): Cell => ({ text, tone: 'plain' });
  const head = [L.measure, ...cmp.columns, ...cmp.columns.slice(1).map((c) => L.change(c, cmp.columns[0]!))];
  const rows: Cell[][] = [];
  const settingName: Record<SettingKey, string> = { flush_interval: L.flushInterval, char_threshold: L.charThreshold, kernel_wait: L.kernelWait };
  const anySettings = cmp.settings.some((r) => r.settings.some((s) => s !== null));
  if (anySettings) {
    for (const r of cmp.settings) {
      // No change column for settings: "−50.0 %" of a flush interval is no measurement (issue 32).
      rows.push([plain(settingName[r.key]), ...r.settings.map((s) => plain(formatSetting(s, r.key, lang))), ...cmp.columns.slice(1).map(() => plain(''))]);
    }
  }
  const settingRows = rows.length;
  for (const r of cmp.rows) {
    rows.push([plain(L.rows[r.key] ?? r.key), ...r.values.map((v, i) => plain(formatValue(v, r.unit) + (r.noisy[i] ? ' ~' : ''))), ...r.changes.map((c) => changeCell(c, lang))]);
  }
  const noisy = noisyLine(cmp, lang);
  return { head, rows, settingRows, footer: `${ruleLine(cmp, lang)}${lang === 'zh' ? '；' : '; '}${L.note}${noisy === null ? '' : `\n${noisy}`}` };
}

/** The significance rule as it applied to this comparison (how many rounds, its false-positive rate). */
function ruleLine(cmp: Comparison, lang: Lang): string {
  const fp = cmp.rounds === null ? null : falsePositiveRate(cmp.rounds, cmp.rounds) * 100;
  return compareLabels(lang).rule(cmp.rounds, cmp.streamsPerRound, fp, MIN_ROUNDS);
}

/** Said under the table when a value is marked `~` (its rounds spread more than NOISY_SPREAD). */
function noisyLine(cmp: Comparison, lang: Lang): string | null {
  if (!cmp.rows.some((r) => r.noisy.some((n) => n))) return null;
  return compareLabels(lang).noisy(Math.round(NOISY_SPREAD * 100));
}

/** The terminal's table: short row names and marks, every metric id in the legend below. */
function compactGrid(cmp: Comparison, lang: Lang, numbered: boolean): CompareGrid {
  const L = compareLabels(lang);
  const S = L.short;
  const plain = (text: string): Cell => ({ text, tone: 'plain' });
  const base = cmp.columns[0]!;
  const later = cmp.columns.slice(1);
  const head = [L.measure, ...cmp.columns, ...later.map((c, j) => (numbered ? `Δ${j + 2}` : S.change(c)))];
  const rows: Cell[][] = [];
  const settingName: Record<SettingKey, string> = { flush_interval: S.flushInterval, char_threshold: S.charThreshold, kernel_wait: S.kernelWait };
  if (cmp.settings.some((r) => r.settings.some((s) => s !== null))) {
    for (const r of cmp.settings) rows.push([plain(settingName[r.key]), ...r.settings.map((s) => plain(formatSettingShort(s, r.key, lang))), ...later.map(() => plain(''))]);
  }
  const settingRows = rows.length;
  // The legend names each metric once: `first chunk = first_content_ms` covers its p50 and p99 rows.
  const named = new Map<string, string>();
  for (const r of cmp.rows) {
    const name = S.rows[r.key] ?? r.key;
    named.set(r.stat === null ? name : name.replace(new RegExp(` ${r.stat}$`), ''), r.metric);
    rows.push([plain(name), ...r.values.map((v, i) => plain(formatValue(v, r.unit) + (r.noisy[i] ? ' ~' : ''))), ...r.changes.map((c) => changeCellShort(c))]);
  }
  const legend = S.legend(base, [...named]);
  if (numbered) legend.unshift(later.map((c, j) => `Δ${j + 2} = ${c}`).join(', '));
  const noisy = noisyLine(cmp, lang);
  return { head, rows, settingRows, footer: [...legend, ruleLine(cmp, lang), ...(noisy === null ? [] : [noisy])].join('\n') };
}
