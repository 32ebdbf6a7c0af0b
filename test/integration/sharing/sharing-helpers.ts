/** What the fair-sharing tests share: three users, a prompt big enough to move a pro account. */
import { expect } from 'vitest';

export const USERS = {
  alice: 'alice-token-0123456789-abcdefgh',
  bob: 'bob-token-0123456789-abcdefghij',
  carol: 'carol-token-0123456789-abcdefg',
} as const;
export type UserName = keyof typeof USERS;

/** About 1 000 input tokens: several percent of a simulated pro account's 5-hour window. */
export const LONG_PROMPT = 'quota '.repeat(700);

export function userConfig(limits: Partial<Record<UserName, Record<string, number>>>): Array<Record<string, unknown>> {
  return (Object.keys(USERS) as UserName[]).map((name) => ({
    name,
    token: USERS[name],
    ...(limits[name] === undefined ? {} : { limits: limits[name] }),
  }));
}

export interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

export async function postMessage(url: string, token: string, prompt: string): Promise<Answer> {
  const response = await fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: prompt }] }),
  });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

export async function sendOk(url: string, token: string, prompt: string): Promise<void> {
  const response = await postMessage(url, token, prompt);
  expect(response.status).toBe(200);
}

export interface MyUsage {
  my_five_hour_percent: number;
  my_weekly_percent: number;
  my_limits: { five_hour_percent: number | null; weekly_percent: number | null };
  my_retry_at: number;
}

export async function statusOf(url: string, token: string, provider = 'claude'): Promise<MyUsage> {
  const response = await fetch(`${url}/v1/status`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await response.json()) as { providers: Record<string, MyUsage> };
  const status = body.providers[provider];
  if (status === undefined) throw new Error(`no ${provider} in /v1/status`);
  return status;
}
