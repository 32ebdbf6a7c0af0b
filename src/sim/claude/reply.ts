import type { SimAccount } from './accounts.ts';
import { newMessageId } from '../http.ts';
import { estimateTokens } from '../text.ts';

/** The fields of a Messages request the simulator looks at. */
export interface MessagesRequest {
  model: string;
  maxTokens: number;
  stream: boolean;
  /** Raw `system` + `messages`, for token estimates. */
  promptText: string;
  lastUserText: string;
  /** `"speed": "fast"`: fast mode, which needs usage credits. */
  isFastMode: boolean;
  /** The first system text block (or the system string), where Claude Code puts its identity line. */
  firstSystemText: string;
}

export interface MessageUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens: number;
  service_tier: 'standard';
}

/** A Messages API `Message` object (text only). */
export interface SimMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: Array<{ type: 'text'; text: string }>;
  stop_reason: 'end_turn' | 'max_tokens';
  stop_sequence: null;
  usage: MessageUsage;
}

/** Validation wording follows the real API's `<field>: <problem>` style. */
export function parseMessagesRequest(text: string, options: { requireMaxTokens: boolean }): MessagesRequest | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: 'There was an issue with the format of your request body: it must be valid JSON.' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: 'Input should be a valid dictionary' };
  }
  const body = value as Record<string, unknown>;
  const model = body['model'];
  if (model === undefined) return { error: 'model: Field required' };
  if (typeof model !== 'string' || model === '') return { error: 'model: Input should be a valid string' };
  const messages = body['messages'];
  if (messages === undefined) return { error: 'messages: Field required' };
  if (!Array.isArray(messages)) return { error: 'messages: Input should be a valid list' };
  const maxTokens = body['max_tokens'];
  if (options.requireMaxTokens) {
    if (maxTokens === undefined) return { error: 'max_tokens: Field required' };
    if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens)) {
      return { error: 'max_tokens: Input should be a valid integer' };
    }
    if (maxTokens < 1) return { error: 'max_tokens: Input should be greater than or equal to 1' };
  }
  return {
    model,
    maxTokens: typeof maxTokens === 'number' ? maxTokens : Number.MAX_SAFE_INTEGER,
    stream: body['stream'] === true,
    promptText: JSON.stringify([body['system'] ?? null, messages]),
    lastUserText: lastUserText(messages),
    isFastMode: body['speed'] === 'fast',
    firstSystemText: firstSystemText(body['system']),
  };
}

function firstSystemText(system: unknown): string {
  if (typeof system === 'string') return system;
  if (!Array.isArray(system)) return '';
  const text = (system[0] as { text?: unknown } | undefined)?.text;
  return typeof text === 'string' ? text : '';
}

function lastUserText(messages: unknown[]): string {
  for (const message of [...messages].reverse()) {
    if (typeof message !== 'object' || message === null) continue;
    const { role, content } = message as { role?: unknown; content?: unknown };
    if (role !== 'user') continue;
    if (typeof content === 'string') return content;
    if (Array.isArray(content)) {
      return content
        .map((block: unknown) => (block as { text?: unknown } | null)?.text)
        .filter((text): text is string => typeof text === 'string')
        .join(' ');
    }
  }
  return '';
}

/** Deterministic answer naming the account, so tests can see which credential served them. */
export function buildMessage(request: MessagesRequest, account: Readonly<SimAccount>): SimMessage {
  const said = request.lastUserText.replace(/\s+/g, ' ').trim().slice(0, 120);
  let text = `Hello from the quotamesh simulator, answering as ${account.id} on the ${account.plan} plan. You said: ${said || '(nothing)'}`;
  let stopReason: SimMessage['stop_reason'] = 'end_turn';
  if (estimateTokens(text) > request.maxTokens) {
    text = text.slice(0, request.maxTokens * 4);
    stopReason = 'max_tokens';
  }
  return {
    id: newMessageId(),
    type: 'message',
    role: 'assistant',
    model: request.model,
    content: [{ type: 'text', text }],
    stop_reason: stopReason,
    stop_sequence: null,
    usage: {
      input_tokens: estimateTokens(request.promptText),
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: estimateTokens(text),
      service_tier: 'standard',
    },
  };
}
