import type { GateOutcome } from '../model/gate-outcome.js';
import { warningText } from '../model/warnings.js';

/** XML 1.0 text: escape the five specials and drop characters XML cannot carry. */
export function xmlEscape(s: string): string {
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/**
 * JUnit XML (the de-facto schema Jenkins, GitLab and GitHub test reporters read): one test suite for
 * the configuration, one test case per gate, a `<failure>` for each that broke.
 */
export function gateJunit(o: GateOutcome): string {
  const failures = o.checks.filter((c) => !c.passed).length;
  const suite = `notebook-stream gate: ${o.configuration}`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="notebook-stream gate" tests="${o.checks.length}" failures="${failures}" errors="0">`,
    `  <testsuite name="${xmlEscape(suite)}" tests="${o.checks.length}" failures="${failures}" errors="0" skipped="0">`,
    `    <properties>`,
    `      <property name="report" value="${xmlEscape(o.report)}"/>`,
    `      <property name="configuration" value="${xmlEscape(o.configuration)}"/>`,
  ];
  if (o.baseline !== null) lines.push(`      <property name="baseline" value="${xmlEscape(`${o.baseline.configuration} of ${o.baseline.report}`)}"/>`);
  lines.push(`    </properties>`);
  for (const c of o.checks) {
    const open = `    <testcase classname="notebook-stream.gate.${xmlEscape(c.kind)}" name="${xmlEscape(c.expression)}"`;
    if (c.passed) {
      lines.push(`${open}>`, `      <system-out>${xmlEscape(c.detail)}</system-out>`, `    </testcase>`);
    } else {
      lines.push(`${open}>`, `      <failure message="${xmlEscape(c.detail)}" type="${xmlEscape(c.kind)}">${xmlEscape(c.detail)}</failure>`, `    </testcase>`);
    }
  }
  // The configuration's warnings, after the test cases (JUnit's suite-level system-err).
  const warnings = o.warnings;
  if (warnings.length > 0) lines.push(`    <system-err>${warnings.map((w) => xmlEscape(`warning: ${warningText(w)}`)).join('\n')}</system-err>`);
  lines.push('  </testsuite>', '</testsuites>');
  return lines.join('\n') + '\n';
}
