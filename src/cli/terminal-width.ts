/** Columns the result may use: the terminal's when stdout is one, else 100 (a log, a pipe, CI). */
export function terminalWidth(): number {
  const cols = process.stdout.isTTY === true ? process.stdout.columns : undefined;
  return typeof cols === 'number' && cols >= 40 ? cols : 100;
}
