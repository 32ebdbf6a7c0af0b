/**
 * `quotamesh admin <action> <provider>/<tag>` (README.md › Commands, docs/ADMIN.md): the admin
 * API from a terminal. The node and token are found as `quotamesh status` finds them (--url,
 * QUOTAMESH_URL; --token, QUOTAMESH_ADMIN_TOKEN, QUOTAMESH_TOKEN). Exit 0 when the node did it,
 * 1 when it refused or could not be reached, 2 for a malformed command line.
 */
import { ADMIN_ACTIONS, isAdminAction, type AdminAnswer } from '../node/index.ts';
import { requestNode } from './node-request.ts';
import { UsageError } from './usage-error.ts';

export interface AdminCommandOptions {
  positionals: string[];
  url: string | undefined;
  token: string | undefined;
  reason: string | undefined;
  json: boolean;
}

export interface AdminEnvironment {
  stdout: { write(text: string): unknown };
  env: Record<string, string | undefined>;
}

export async function runAdmin(
  options: AdminCommandOptions,
  environment: AdminEnvironment = { stdout: process.stdout, env: process.env },
): Promise<number> {
  const { stdout, env } = environment;
  const [action, target, ...extra] = options.positionals;
  if (action === undefined || !isAdminAction(action)) {
    throw new UsageError(`admin needs an action: ${ADMIN_ACTIONS.join(', ')}${action === undefined ? '' : ` (got "${action}")`}`);
  }
  const slash = target?.indexOf('/') ?? -1;
  if (target === undefined || slash <= 0 || slash === target.length - 1 || extra.length > 0) {
    throw new UsageError(`admin ${action} needs one credential as <provider>/<tag>, e.g. claude/work`);
  }
  if (options.reason !== undefined && action !== 'disable') throw new UsageError('--reason goes with disable only');
  const url = options.url ?? nonEmpty(env.QUOTAMESH_URL) ?? 'http://127.0.0.1:8787';
  const token = options.token ?? nonEmpty(env.QUOTAMESH_ADMIN_TOKEN) ?? nonEmpty(env.QUOTAMESH_TOKEN);
  if (token === undefined) throw new Error('no token: pass --token or set QUOTAMESH_ADMIN_TOKEN (the admin token)');
  const provider = target.slice(0, slash);
  const tag = target.slice(slash + 1);
  const path = `/v1/admin/credentials/${encodeURIComponent(provider)}/${encodeURIComponent(tag)}/${action}`;
  const response = await requestNode(
    url,
    path,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(options.reason === undefined ? {} : { reason: options.reason }),
    },
    `${action} ${target}: `,
  );
  const answer = (await response.json()) as AdminAnswer;
  stdout.write(options.json ? `${JSON.stringify(answer, null, 2)}\n` : `${describe(answer)}\n`);
  return 0;
}

/** One line saying what happened and where the credential stands now. */
export function describe(answer: AdminAnswer): string {
  const { credential } = answer;
  const name = `${answer.provider}/${answer.tag}`;
  const state = credential.state.replace('_', ' ');
  switch (answer.action) {
    case 'disable': {
      const mark = credential.disabled;
      const who = mark === undefined ? '' : ` by ${mark.by} at ${utcTime(mark.at)}${mark.reason === undefined ? '' : ` (${mark.reason})`}`;
      return `${name} ${answer.changed ? 'disabled' : 'was already disabled'}${who}`;
    }
    case 'enable':
      return `${name} ${answer.changed ? 'enabled' : 'was not disabled'}; now ${state}`;
    case 'reset-cooldown':
      return `${name} cooldown cleared; now ${state}${credential.reason === undefined ? '' : ` (${credential.reason})`}`;
    case 'poll':
      return `${name} polled: 5 hour ${credential.five_hour_utilization}%, weekly ${credential.weekly_utilization}%; ${state}`;
  }
}

function utcTime(unixSeconds: number): string {
  return `${new Date(unixSeconds * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
