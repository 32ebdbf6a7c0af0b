/**
 * Runs a status line command the way Claude Code 2.1.197 does (@anthropic-ai/claude-code,
 * bin/claude.exe; the hook runner `Pur` and the status line runner `T9o`, read from the published
 * package):
 *
 * - `spawn(command, [], { shell: true, detached: true, env, cwd })`: a shell command line, in its
 *   own process group, with Claude Code's environment (which holds ANTHROPIC_BASE_URL and
 *   ANTHROPIC_AUTH_TOKEN when those configure it) plus COLUMNS/LINES;
 * - stdin gets `JSON.stringify(input) + "\n"` and is closed at once;
 * - the result is taken on the child's `close` (exit and every pipe closed), so a grandchild that
 *   keeps stdout open keeps the status line waiting;
 * - only exit status 0 counts; stdout is trimmed, blank lines dropped, and the rest joined by
 *   newlines; it is rendered dimmed, ANSI SGR sequences kept, each line cut at the width;
 * - a run still going when the next update starts is killed (its process group), and there is
 *   no shorter timeout than the hook default (600 s) in the interactive path.
 */
import { spawn } from 'node:child_process';

/** The statusline input object as `Ugm` builds it (the optional members left out). */
export function claudeCodeInput(sessionId: string, cwd: string): Record<string, unknown> {
  return {
    session_id: sessionId,
    transcript_path: `${cwd}/.claude/projects/demo/${sessionId}.jsonl`,
    cwd,
    permission_mode: 'default',
    model: { id: 'claude-sonnet-4-5-20250929', display_name: 'Sonnet 4.5' },
    workspace: { current_dir: cwd, project_dir: cwd, added_dirs: [] },
    version: '2.1.197',
    output_style: { name: 'default' },
    cost: { total_cost_usd: 0, total_duration_ms: 1200, total_api_duration_ms: 0, total_lines_added: 0, total_lines_removed: 0 },
    context_window: {
      total_input_tokens: 0,
      total_output_tokens: 0,
      context_window_size: 200000,
      current_usage: null,
      used_percentage: null,
      remaining_percentage: null,
    },
    exceeds_200k_tokens: false,
    fast_mode: false,
    thinking: { enabled: true },
  };
}

export interface StatuslineRun {
  status: number;
  stdout: string;
  stderr: string;
  /** What Claude Code would display; undefined when it displays nothing (non-zero exit, no text). */
  text: string | undefined;
  /** Milliseconds from spawn to `close`, for the report (never asserted: the machine is shared). */
  elapsedMs: number;
}

export function runLikeClaudeCode(
  command: string,
  input: unknown,
  env: Record<string, string | undefined>,
  cwd: string,
): Promise<StatuslineRun> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const child = spawn(command, [], { shell: true, detached: true, env: { ...env, COLUMNS: '120', LINES: '40' }, cwd, windowsHide: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (stdout += chunk));
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.stdin.on('error', () => undefined);
    child.stdin.write(`${JSON.stringify(input)}\n`, 'utf8');
    child.stdin.end();
    child.once('close', (code) => {
      const status = code ?? 1;
      const text = status === 0 ? displayed(stdout) : undefined;
      resolve({ status, stdout, stderr, text, elapsedMs: performance.now() - startedAt });
    });
  });
}

function displayed(stdout: string): string | undefined {
  const text = stdout
    .trim()
    .split('\n')
    .flatMap((line) => line.trim() || [])
    .join('\n');
  return text === '' ? undefined : text;
}

/** The SGR sequences (and OSC 8 links) Claude Code carries from line to line; nothing else. */
export const CLAUDE_CODE_KEPT_ESCAPES = /\x1b\[[\d;]*m|\x1b\]8;[^\x07\x1b]*(?:\x07|\x1b\\)/g;
