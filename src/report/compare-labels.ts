/** Row and column names of the comparison table, in English and in the guide's Chinese. */
export type Lang = 'en' | 'zh';

/** `--lang` default: Chinese when LC_ALL, LC_MESSAGES or LANG (the first one set) starts with zh. */
export function langFromLocale(env: NodeJS.ProcessEnv = process.env): Lang {
  const locale = [env['LC_ALL'], env['LC_MESSAGES'], env['LANG']].find((v) => v !== undefined && v !== '') ?? '';
  return locale.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export interface CompareLabels {
  measure: string;
  /** Header of the change column of `column` against the first column. */
  change: (column: string, baseline: string) => string;
  flushInterval: string;
  charThreshold: string;
  kernelWait: string;
  rows: Record<string, string>;
  none: string;
  eventDriven: string;
  chars: (n: number) => string;
  atOnce: (n: number) => string;
  /** Change cells; `pct` is already formatted ('-62.3 %'). */
  significant: (pct: string, better: boolean) => string;
  notSignificant: (pct: string) => string;
  notJudged: (pct: string, rounds: number) => string;
  footer: (rounds: number | null, streams: number | null) => string;
}

const EN: CompareLabels = {
  measure: 'measure',
  change: (c, b) => `${c} vs ${b}`,
  flushInterval: 'flush interval',
  charThreshold: 'character threshold',
  kernelWait: 'kernel wait (message timeout)',
  rows: {
    'first_content_ms.p50': 'first-chunk latency p50 (first_content_ms)',
    'first_content_ms.p99': 'first-chunk latency p99 (first_content_ms)',
    'hold_ms.p50': 'held in server buffer p50 (hold_ms)',
    'lag_ms.p50': 'delivery lag p50 (lag_ms)',
    'gap_ms.p99': 'gap between events p99 (gap_ms)',
    'events_per_read.p50': 'events per read p50 (events_per_read)',
    'writes_per_stream.p50': 'writes per stream p50 (writes_per_stream)',
    wire_bytes_per_event: 'bytes on the wire per event (wire_bytes_per_event)',
    server_cpu_ms_per_stream: 'server CPU per stream, idle subtracted (server_cpu_ms_per_stream)',
  },
  none: 'none',
  eventDriven: 'none (event-driven)',
  chars: (n) => `${n} chars`,
  atOnce: (n) => `, ${n} at once`,
  significant: (pct, better) => `${pct} significant (${better ? 'better' : 'worse'})`,
  notSignificant: (pct) => `no significant change (${pct})`,
  notJudged: (pct, r) => `${pct} not judged (${r} round${r === 1 ? '' : 's'})`,
  footer: (r, n) =>
    (r === null
      ? 'significance not judged: the reports hold no per-round results'
      : `significant: the ranges of the per-round values do not overlap (${r} interleaved rounds × ${n ?? '?'} streams per configuration)`) +
    '; change in % against the first column; green better, red worse',
};

const ZH: CompareLabels = {
  measure: '优化项目',
  change: (c, b) => `改进幅度 ${c} 对比 ${b}`,
  flushInterval: '缓冲区刷新',
  charThreshold: '字符阈值',
  kernelWait: '消息超时（内核等待）',
  rows: {
    'first_content_ms.p50': '首块延迟 p50（first_content_ms）',
    'first_content_ms.p99': '首块延迟 p99（first_content_ms）',
    'hold_ms.p50': '服务器缓冲等待 p50（hold_ms）',
    'lag_ms.p50': '传输延迟 p50（lag_ms）',
    'gap_ms.p99': '事件间隔 p99（gap_ms）',
    'events_per_read.p50': '每次读取事件数 p50（events_per_read）',
    'writes_per_stream.p50': '每流写入次数 p50（writes_per_stream）',
    wire_bytes_per_event: '每事件线上字节数（wire_bytes_per_event）',
    server_cpu_ms_per_stream: '每流服务器 CPU，扣除空闲（server_cpu_ms_per_stream）',
  },
  none: '无',
  eventDriven: '无（事件驱动）',
  chars: (n) => `${n} 字符`,
  atOnce: (n) => `，满 ${n} 立即`,
  significant: (pct, better) => `${pct} 显著${better ? '改善' : '变差'}`,
  notSignificant: (pct) => `无显著变化（${pct}）`,
  notJudged: (pct, r) => `${pct} 未判断（${r} 轮）`,
  footer: (r, n) =>
    (r === null
      ? '未判断显著性：报告中没有分轮结果'
      : `显著：各轮数值的范围互不重叠（交错 ${r} 轮 × 每个配置 ${n ?? '?'} 个流）`) + '；改进幅度相对第一列；绿色更好，红色更差',
};

export function compareLabels(lang: Lang): CompareLabels {
  return lang === 'zh' ? ZH : EN;
}
