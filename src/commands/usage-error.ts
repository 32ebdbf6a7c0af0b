/** Bad command-line usage: one line on stderr, exit 2 (README.md › Commands). */
export class UsageError extends Error {
  override name = 'UsageError';
}
