import { randomBytes } from 'node:crypto';
import { toUnixSeconds } from '../../lib/index.ts';
import type { SimCodexAccount } from './accounts.ts';
import { estimateTokens, textChunks } from '../text.ts';
import type { SseEvent } from '../sse.ts';

/** The fields of a Responses request the simulator looks at. */
export interface ResponsesRequest {
  model: string;
  stream: boolean;
  instructions: string | null;
  /** Raw `instructions` + `input`, for token estimates. */
  promptText: string;
  lastUserText: string;
  /** `generate: false` is Codex's WebSocket warm-up: answered, not charged (sing-box service/ocm). */
  isWarmup: boolean;
}

/** OpenAI's error object: `{"error": {message, type, param, code}}`. */
export interface OpenAIError {
  message: string;
  type: string | null;
  param: string | null;
  code: string | null;
}

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

const INVALID_JSON =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)";

function invalid(message: string, param: string | null, code: string | null): { error: OpenAIError } {
  return { error: { message, type: 'invalid_request_error', param, code } };
}

/** Validation wording follows the real API (`Missing required parameter: 'model'.`). */
export function parseResponsesRequest(text: string): ResponsesRequest | { error: OpenAIError } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return invalid(INVALID_JSON, null, null);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return invalid(INVALID_JSON, null, null);
  const body = value as Record<string, unknown>;
  for (const field of ['model', 'input']) {
    if (body[field] === undefined) return invalid(`Missing required parameter: '${field}'.`, field, 'missing_required_parameter');
  }
  if (typeof body['model'] !== 'string' || body['model'] === '') {
    return invalid("Invalid type for 'model': expected a string.", 'model', 'invalid_type');
  }
  const input = body['input'];
  if (typeof input !== 'string' && !Array.isArray(input)) {
    return invalid("Invalid type for 'input': expected a string or an array of input items.", 'input', 'invalid_type');
  }
  const instructions = typeof body['instructions'] === 'string' ? body['instructions'] : null;
  return {
    model: body['model'],
    stream: body['stream'] === true,
    instructions,
    promptText: JSON.stringify([instructions, input]),
    lastUserText: typeof input === 'string' ? input : lastUserText(input),
    isWarmup: body['generate'] === false,
  };
}

function lastUserText(items: unknown[]): string {
  for (const item of [...items].reverse()) {
    if (typeof item !== 'object' || item === null) continue;
    const { role, content } = item as { role?: unknown; content?: unknown };
    if (role !== 'user') continue;
    if (typeof content === 'string') return content;
    if (Array.isArray(content)) {
      return content
        .map((part: unknown) => (part as { text?: unknown } | null)?.text)
        .filter((text): text is string => typeof text === 'string')
        .join(' ');
    }
  }
  return '';
}

/** A Responses API `Response` object, completed, text only. */
export function buildResponse(request: ResponsesRequest, account: Readonly<SimCodexAccount>, nowMs: number): Record<string, unknown> {
  const said = request.lastUserText.replace(/\s+/g, ' ').trim().slice(0, 120);
  const text = request.isWarmup
    ? ''
    : `Hello from the quotamesh simulator, answering as ${account.id} on the ChatGPT ${account.plan} plan. You said: ${said || '(nothing)'}`;
  const inputTokens = request.isWarmup ? 0 : estimateTokens(request.promptText);
  const outputTokens = request.isWarmup ? 0 : estimateTokens(text);
  const usage: ResponseUsage = {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: inputTokens + outputTokens,
  };
  const output = request.isWarmup
    ? []
    : [
        {
          id: `msg_${randomBytes(24).toString('hex')}`,
          type: 'message',
          status: 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
        },
      ];
  return {
    id: `resp_${randomBytes(24).toString('hex')}`,
    object: 'response',
    created_at: toUnixSeconds(nowMs),
    status: 'completed',
    error: null,
    incomplete_details: null,
    instructions: request.instructions,
    max_output_tokens: null,
    model: request.model,
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage,
    user: null,
    metadata: {},
  };
}

interface OutputMessage {
  id: string;
  content: Array<{ text: string }>;
}

/**
 * The streaming sequence the real API sends for one text answer: created, in_progress,
 * output_item.added, content_part.added, several output_text.delta, output_text.done,
 * content_part.done, output_item.done, completed — each with its `sequence_number`.
 */
export function responseEvents(response: Record<string, unknown>): SseEvent[] {
  const inProgress = { ...response, status: 'in_progress', output: [], usage: null };
  const events: Array<Record<string, unknown>> = [
    { type: 'response.created', response: inProgress },
    { type: 'response.in_progress', response: inProgress },
  ];
  const [message] = response['output'] as OutputMessage[];
  if (message !== undefined) {
    const text = message.content[0]?.text ?? '';
    const at = { item_id: message.id, output_index: 0, content_index: 0 };
    const part = { type: 'output_text', text: '', annotations: [], logprobs: [] };
    events.push(
      { type: 'response.output_item.added', output_index: 0, item: { ...message, status: 'in_progress', content: [] } },
      { type: 'response.content_part.added', ...at, part },
    );
    for (const delta of textChunks(text)) events.push({ type: 'response.output_text.delta', ...at, delta, logprobs: [] });
    events.push(
      { type: 'response.output_text.done', ...at, text, logprobs: [] },
      { type: 'response.content_part.done', ...at, part: { ...part, text } },
      { type: 'response.output_item.done', output_index: 0, item: message },
    );
  }
  events.push({ type: 'response.completed', response });
  return events.map((data, index) => ({ event: String(data['type']), data: { ...data, sequence_number: index } }));
}

/** The first `afterEvents` events, then the in-stream overload Codex maps to ServerOverloaded. */
export function overloadedEvents(events: SseEvent[], afterEvents: number, response: Record<string, unknown>): SseEvent[] {
  const kept = events.slice(0, Math.min(afterEvents, events.length - 1));
  const failed = {
    type: 'response.failed',
    response: {
      ...response,
      status: 'failed',
      output: [],
      usage: null,
      error: { code: 'server_is_overloaded', message: 'Our servers are currently overloaded. Please try again later.' },
    },
    sequence_number: kept.length,
  };
  return [...kept, { event: 'response.failed', data: failed }];
}
