/**
 * The page's one stylesheet (inline: the file must open with no network). Colours come from
 * custom properties so prefers-color-scheme can swap them; series colours are an Okabe–Ito-like
 * palette, a lighter set in dark mode, all ≥ 3:1 against their background.
 */
export const STYLE = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --grid: #eaeef2; --axis: #57606a;
  --panel: #f6f8fa; --focus: #0969da; --link: #0969da; --better: #1a7f37; --worse: #cf222e;
  --hold: rgba(191, 135, 0, 0.38); --diag: #8c959f;
  --s0: #1f6fb2; --s1: #c8501a; --s2: #1a8a5f; --s3: #a8447f; --s4: #946300; --s5: #3b7fae; --s6: #6a5acd; --s7: #5b6068;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #30363d; --grid: #21262d; --axis: #9198a1;
    --panel: #161b22; --focus: #4493f8; --link: #4493f8; --better: #3fb950; --worse: #f85149;
    --hold: rgba(240, 190, 70, 0.42); --diag: #6e7681;
    --s0: #6cb4ff; --s1: #ff9a66; --s2: #4cd39b; --s3: #f08bc8; --s4: #e8c05a; --s5: #8fd0ff; --s6: #b3a8ff; --s7: #c0c6cc;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 68rem; margin: 0 auto; padding: 1rem 1rem 3rem; }
h1 { font-size: 1.5rem; margin: 0.5rem 0 0.25rem; overflow-wrap: anywhere; }
h2 { font-size: 1.2rem; margin: 2rem 0 0.5rem; padding-top: 0.5rem; border-top: 1px solid var(--line); }
h3 { font-size: 1rem; margin: 1rem 0 0.5rem; }
p, figcaption, .note { max-width: 60rem; }
.note, figcaption { color: var(--muted); font-size: 0.9rem; }
a { color: var(--link); }
nav ul { display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; list-style: none; padding: 0; margin: 0.5rem 0; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; border-radius: 2px; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.15rem 1rem; margin: 0.5rem 0; font-size: 0.9rem; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.table-scroll, .plot-scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-size: 0.875rem; font-variant-numeric: tabular-nums; margin: 0.25rem 0; }
caption { text-align: left; font-weight: 600; padding: 0.25rem 0; }
th, td { padding: 0.25rem 0.6rem; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th[scope="row"], thead th:first-child { text-align: left; }
thead th { background: var(--panel); font-weight: 600; }
tr.setting th, tr.setting td { color: var(--muted); }
table.compare th[scope="row"] { white-space: normal; min-width: 12rem; }
table.compare .change { text-align: left; white-space: normal; min-width: 10rem; }
td.better { color: var(--better); font-weight: 600; }
td.worse { color: var(--worse); font-weight: 600; }
figure.plot { margin: 1.5rem 0; padding: 0.75rem; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); }
figure.plot h3 { margin-top: 0; }
svg.chart { display: block; width: 100%; min-width: 30rem; height: auto; font-size: 13px; font-family: inherit; }
svg .grid { stroke: var(--grid); stroke-width: 1; }
svg .axis { stroke: var(--axis); stroke-width: 1; }
svg .tick { fill: var(--muted); font-size: 12px; }
svg .axis-title, svg .panel-title { fill: var(--fg); font-size: 13px; }
svg .panel-title { font-weight: 600; }
svg .pct-guide { stroke: var(--diag); stroke-dasharray: 2 4; }
svg .diagonal { stroke: var(--diag); stroke-dasharray: 6 4; }
svg .cdf-line { fill: none; stroke-width: 2.25; stroke-linejoin: round; }
svg .pct-mark { stroke: var(--bg); stroke-width: 1.5; }
svg .hold { fill: var(--hold); }
svg .ev { stroke: var(--bg); stroke-width: 0.75; fill-opacity: 0.85; }
svg .ev.no-content { fill: var(--bg) !important; stroke-width: 1.5; }
${[0, 1, 2, 3, 4, 5, 6, 7].map((i) => `svg .s${i} { stroke: var(--s${i}); } svg .s${i}:not(.cdf-line) { fill: var(--s${i}); } svg .ev.no-content.s${i} { stroke: var(--s${i}); } .swatch.s${i} { background: var(--s${i}); }`).join('\n')}
svg .bar { stroke: none; }
svg .bar-label { fill: var(--fg); font-size: 12px; }
svg .empty { fill: var(--muted); font-size: 14px; font-style: italic; }
.legend { display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; list-style: none; padding: 0; margin: 0 0 0.5rem; font-size: 0.9rem; }
.swatch { display: inline-block; width: 0.9rem; height: 0.9rem; border-radius: 2px; margin-right: 0.35rem; vertical-align: -0.1rem; }
.key { font-size: 0.85rem; color: var(--muted); margin: 0 0 0.5rem; }
.key span { display: inline-block; vertical-align: -0.1rem; margin: 0 0.2rem 0 0.6rem; }
.key span:first-child { margin-left: 0; }
.key-dot { width: 0.7rem; height: 0.7rem; border-radius: 50%; background: var(--s0); }
.key-dot.hollow { background: transparent; border: 2px solid var(--s0); }
.key-hold { width: 0.45rem; height: 0.9rem; background: var(--hold); }
.key-diag { width: 1.2rem; height: 0; border-top: 2px dashed var(--diag); vertical-align: 0.25rem !important; }
figcaption p { margin: 0.5rem 0 0.25rem; }
figcaption ul { margin: 0.25rem 0; padding-left: 1.25rem; }
details { margin-top: 0.5rem; }
summary { cursor: pointer; color: var(--link); }
.warnings { color: var(--worse); }
section.config { margin-bottom: 1.5rem; }
@media (max-width: 40rem) {
  main { padding: 0.5rem 0.6rem 2rem; }
  body { font-size: 14px; }
  h1 { font-size: 1.2rem; }
  table.compare th[scope="row"] { min-width: 8.5rem; }
  figure.plot { padding: 0.5rem; margin: 1rem -0.25rem; }
  .facts { grid-template-columns: 1fr; }
  .facts dd { margin-bottom: 0.35rem; }
  /* The plot fits the screen; its text grows in viewBox units so it stays ~11 px on screen. */
  svg.chart { min-width: 0; }
  svg .tick, svg .bar-label, svg .empty { font-size: 17px; }
  svg .axis-title, svg .panel-title { font-size: 19px; }
}
@media print { .plot-scroll, .table-scroll { overflow: visible; } }
`;
