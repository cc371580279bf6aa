import { InvalidArgumentError } from 'commander';

/**
 * Value parsers for commander options. They throw InvalidArgumentError, which commander reports
 * as `error: option '--port <n>' argument 'x' is invalid. <reason>` and we exit 2 (docs/cli.md).
 */
export function intIn(min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    return n;
  };
}

export function numberIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a number from ${min} to ${max}.`);
    }
    return n;
  };
}

export function oneOf<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`expected one of: ${choices.join(', ')}.`);
    }
    return value as T;
  };
}

/** For repeatable options: `-H a -H b` → ['a', 'b']. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return previous === undefined ? [value] : [...previous, value];
}
