/**
 * How deep a request body may nest objects and arrays. Submissions, outputs and metadata are walked
 * by recursive code (file locations in CWL inputs, hint names, canonical JSON), which overflows the
 * stack a few thousand levels down and answers 500; a 6 MiB body reaches three million. No body of
 * the API needs more than a few tens of levels (a CWL document is refused past 64,
 * shared/cwl/normalize.ts, and it sits two levels into its submission), so deeper ones are refused
 * before they are parsed.
 */
export const maxBodyDepth = 100;

/**
 * Whether the JSON text nests objects and arrays deeper than `limit`. One pass over the text, without
 * recursion, skipping strings (where brackets are only characters); malformed text is left to the parser.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (inString) {
      if (code === 0x5c)
        at++; // a backslash escapes the next character, a quote included
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x7b || code === 0x5b) {
      if (++depth > limit) return true;
    } else if (code === 0x7d || code === 0x5d) depth--;
  }
  return false;
}
