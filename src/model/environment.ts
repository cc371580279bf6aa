/**
 * Environment variables as the CLI read them (docs/architecture.md: only src/cli reads the
 * environment). Library code that starts a process (the managed Jupyter Server, the embedded
 * server) or falls back to a variable gets them passed in as this.
 */
export type Environment = Readonly<Record<string, string | undefined>>;
