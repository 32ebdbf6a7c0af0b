/** Bad command-line usage: one line on stderr, exit 2 (SPEC §1). */
export class UsageError extends Error {
  override name = 'UsageError';
}
