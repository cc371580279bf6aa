/** A fix as data: check-headers' findings and doctor's ranked fixes carry the same records. */

/**
 * Fixes as data: one snippet per stack where the fix lives there. check-headers' rules and
 * doctor's ranked fixes both point here, so one fix reads the same in both.
 */
export interface FixSnippets {
  nginx?: string;
  fastify?: string;
  express?: string;
  starlette?: string;
}

export interface Fix {
  id: string;
  /** One line: what to change. */
  title: string;
  snippets: FixSnippets;
}
