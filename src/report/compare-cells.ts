import { compareLabels, type Lang } from './compare-labels.js';
import type { ChangeCell, Comparison, SettingKey } from './compare-model.js';
import { settingValue } from './compare-model.js';
import type { ReportFlushSettings } from '../model/report.js';

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

/**
 * Columns: the row name, one per configuration, then the change of each later configuration
 * against the first. First rows restate the settings (flush interval, character threshold, kernel
 * wait), as the guide's table does; then one row per measure.
 */
export function compareGrid(cmp: Comparison, lang: Lang): CompareGrid {
  const L = compareLabels(lang);
  const plain = (text: string): Cell => ({ text, tone: 'plain' });
  const head = [L.measure, ...cmp.columns, ...cmp.columns.slice(1).map((c) => L.change(c, cmp.columns[0]!))];
  const rows: Cell[][] = [];
  const settingName: Record<SettingKey, string> = { flush_interval: L.flushInterval, char_threshold: L.charThreshold, kernel_wait: L.kernelWait };
  const anySettings = cmp.settings.some((r) => r.settings.some((s) => s !== null));
  if (anySettings) {
    for (const r of cmp.settings) {
      rows.push([plain(settingName[r.key]), ...r.settings.map((s) => plain(formatSetting(s, r.key, lang))), ...r.changes.map((p) => plain(p === null ? '–' : formatPct(p)))]);
    }
  }
  const settingRows = rows.length;
  for (const r of cmp.rows) {
    rows.push([plain(L.rows[r.key] ?? r.key), ...r.values.map((v) => plain(formatValue(v, r.unit))), ...r.changes.map((c) => changeCell(c, lang))]);
  }
  return { head, rows, settingRows, footer: L.footer(cmp.rounds, cmp.streamsPerRound) };
}
