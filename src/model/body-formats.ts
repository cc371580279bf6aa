/** The body formats a stream can be parsed as (`--format`); `auto` decides from Content-Type or a sniff. */
export const FORMATS = ['auto', 'sse', 'ndjson', 'raw'] as const;
export type FormatOption = (typeof FORMATS)[number];
export type BodyFormat = Exclude<FormatOption, 'auto'>;
