import { defineCoalescingTests } from './helpers/coalescing-cases.js';

/** Issue 26's coalescing backends stamping each event with its release time `t`: the stamp covers only the path after the buffer, so the verdict must come from the content, as without stamps. */
defineCoalescingTests(true);
