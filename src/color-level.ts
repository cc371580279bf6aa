/**
 * The colour level the CLI decided (src/cli/color.ts), kept here so renderers can apply it to
 * chalk when they load. Library callers that never set it get chalk's own detection.
 */
let level: 0 | 1 | 2 | 3 | undefined;

export function setColorLevel(l: 0 | 1 | 2 | 3): void {
  level = l;
}

export function chosenColorLevel(): 0 | 1 | 2 | 3 | undefined {
  return level;
}
