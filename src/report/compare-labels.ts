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
  /** What the change column means, after the rule in the wide table's footer. */
  note: string;
  /** Why a value is marked `~`. */
  noisy: (spreadPct: number) => string;
  /** Compact table (the terminal's default): short row names, the metric ids in a legend. */
  short: {
    rows: Record<string, string>;
    flushInterval: string;
    charThreshold: string;
    kernelWait: string;
    /** `Δ guide-after`: the change column of a configuration against the first. */
    change: (column: string) => string;
    /** What `Δ`, the marks and the row names mean: lines under the table. */
    legend: (baseline: string, rows: ReadonlyArray<readonly [string, string]>) => string[];
  };
  /** The significance rule with its measured footing and its false-positive rate per row. */
  rule: (rounds: number | null, streams: number | null, falsePositivePct: number | null, minRounds: number) => string;
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
    server_cpu_ms_per_stream: 'server CPU per stream, idle subtracted (server_cpu_ms_per_stream)',
    'browser_first_content_ms.p50': 'page: first-chunk latency p50 (browser_first_content_ms)',
    'browser_first_content_ms.p99': 'page: first-chunk latency p99 (browser_first_content_ms)',
    'browser_gap_ms.p99': 'page: gap between events p99 (browser_gap_ms)',
    'paint_delay_ms.p99': 'page: arrival to the frame that shows it p99 (paint_delay_ms)',
    'browser_overhead_ms.p50': 'page: later than the wire p50 (browser_overhead_ms)',
  },
  none: 'none',
  eventDriven: 'none (event-driven)',
  chars: (n) => `${n} chars`,
  atOnce: (n) => `, ${n} at once`,
  significant: (pct, better) => `${pct} significant (${better ? 'better' : 'worse'})`,
  notSignificant: (pct) => `no significant change (${pct})`,
  notJudged: (pct, r) => `${pct} not judged (${r} round${r === 1 ? '' : 's'})`,
  note: 'change in % against the first column; green better, red worse',
  noisy: (p) => `~ noisy: its rounds spread over more than ${p} % of their median (other work on the machine lands in it); read the change and its verdict, or measure on a quiet machine`,
  short: {
    rows: {
      'first_content_ms.p50': 'first chunk p50',
      'first_content_ms.p99': 'first chunk p99',
      'hold_ms.p50': 'held in buffer p50',
      'lag_ms.p50': 'delivery lag p50',
      'gap_ms.p99': 'gap p99',
      'events_per_read.p50': 'events per read p50',
      'writes_per_stream.p50': 'writes per stream p50',
      server_cpu_ms_per_stream: 'server CPU per stream',
      'browser_first_content_ms.p50': 'page first chunk p50',
      'browser_first_content_ms.p99': 'page first chunk p99',
      'browser_gap_ms.p99': 'page gap p99',
      'paint_delay_ms.p99': 'page paint delay p99',
      'browser_overhead_ms.p50': 'page after wire p50',
    },
    flushInterval: 'flush interval',
    charThreshold: 'chars (min/buffer)',
    kernelWait: 'kernel wait',
    change: (c) => `Δ ${c}`,
    legend: (b, rows) => [
      `Δ: change against ${b}; ✓ significantly better, ✗ worse, ≈ no significant change, ? not judged`,
      `metrics: ${rows.map(([name, id]) => `${name} = ${id}`).join(', ')}`,
    ],
  },
  rule: (r, n, fp, min) =>
    r === null
      ? 'significance not judged: the reports hold no per-round results'
      : r < min
        ? `significance not judged: ${r} rounds; the no-overlap rule needs ${min} rounds or more (false-positive rate per row ≤ 1 %)`
        : `significant: the per-round values do not overlap (${r} interleaved rounds × ${n ?? '?'} streams; false-positive rate per row ${fp === null ? '?' : fp < 0.01 ? '< 0.01' : fp.toFixed(2)} %)`,
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
    server_cpu_ms_per_stream: '每流服务器 CPU，扣除空闲（server_cpu_ms_per_stream）',
    'browser_first_content_ms.p50': '页面：首块延迟 p50（browser_first_content_ms）',
    'browser_first_content_ms.p99': '页面：首块延迟 p99（browser_first_content_ms）',
    'browser_gap_ms.p99': '页面：事件间隔 p99（browser_gap_ms）',
    'paint_delay_ms.p99': '页面：到达至显示的帧 p99（paint_delay_ms）',
    'browser_overhead_ms.p50': '页面：比线路晚 p50（browser_overhead_ms）',
  },
  none: '无',
  eventDriven: '无（事件驱动）',
  chars: (n) => `${n} 字符`,
  atOnce: (n) => `，满 ${n} 立即`,
  significant: (pct, better) => `${pct} 显著${better ? '改善' : '变差'}`,
  notSignificant: (pct) => `无显著变化（${pct}）`,
  notJudged: (pct, r) => `${pct} 未判断（${r} 轮）`,
  note: '改进幅度相对第一列；绿色更好，红色更差',
  noisy: (p) => `~ 噪声大：各轮数值的离散超过中位数的 ${p} %（机器上的其他负载会计入）；请看改进幅度及其判断，或在空闲机器上测量`,
  short: {
    rows: {
      'first_content_ms.p50': '首块延迟 p50',
      'first_content_ms.p99': '首块延迟 p99',
      'hold_ms.p50': '缓冲等待 p50',
      'lag_ms.p50': '传输延迟 p50',
      'gap_ms.p99': '事件间隔 p99',
      'events_per_read.p50': '每次读取事件数 p50',
      'writes_per_stream.p50': '每流写入次数 p50',
      server_cpu_ms_per_stream: '每流服务器 CPU',
      'browser_first_content_ms.p50': '页面首块延迟 p50',
      'browser_first_content_ms.p99': '页面首块延迟 p99',
      'browser_gap_ms.p99': '页面事件间隔 p99',
      'paint_delay_ms.p99': '页面显示延迟 p99',
      'browser_overhead_ms.p50': '页面晚于线路 p50',
    },
    flushInterval: '缓冲区刷新',
    charThreshold: '字符阈值（最少/缓冲）',
    kernelWait: '消息超时',
    change: (c) => `Δ ${c}`,
    legend: (b, rows) => [
      `Δ：相对 ${b} 的改进幅度；✓ 显著改善，✗ 显著变差，≈ 无显著变化，? 未判断`,
      `指标：${rows.map(([name, id]) => `${name} = ${id}`).join('，')}`,
    ],
  },
  rule: (r, n, fp, min) =>
    r === null
      ? '未判断显著性：报告中没有分轮结果'
      : r < min
        ? `未判断显著性：只有 ${r} 轮；不重叠规则需要 ${min} 轮或更多（每行误报率 ≤ 1 %）`
        : `显著：各轮数值互不重叠（交错 ${r} 轮 × 每个配置 ${n ?? '?'} 个流；每行误报率 ${fp === null ? '?' : fp < 0.01 ? '< 0.01' : fp.toFixed(2)} %）`,
};

export function compareLabels(lang: Lang): CompareLabels {
  return lang === 'zh' ? ZH : EN;
}
