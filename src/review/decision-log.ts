import { readFile } from 'node:fs/promises';
import { AppError, messageOf, wrapError } from '../core/index.js';
import { normalizeEntrypoint } from '../evaluate/index.js';
import type { ReplayCase, SkippedInput } from './model.js';

export interface DecisionSource {
  /** A `GET /v1/decisions` URL (its filters kept; pages followed through next_cursor), or a JSON / NDJSON file. */
  readonly from: string;
  readonly entrypoint: string;
  /** Bearer token for the server. */
  readonly token?: string;
  /** Most events read; the newest first, as the server pages them. */
  readonly maxEvents: number;
}

type Event = Record<string, unknown>;

/** An event, with the NDJSON line it was read from, if any. */
interface EventRecord {
  readonly event: Event;
  readonly line?: string;
}

/** Decision-log events whose input is replayed; events of other entrypoints are left out. */
export async function loadDecisions(source: DecisionSource): Promise<{ cases: ReplayCase[]; skipped: SkippedInput[] }> {
  const records: EventRecord[] = /^https?:\/\//.test(source.from)
    ? (await fetchEvents(source)).map((event) => ({ event }))
    : readEvents(await readText(source.from), source.from);
  const wanted = normalizeEntrypoint(source.entrypoint);
  const cases: ReplayCase[] = [];
  const skipped: SkippedInput[] = [];
  records.slice(0, source.maxEvents).forEach(({ event, line }, i) => {
    const id = eventId(event) ?? `${source.from}#${i + 1}`;
    const path = typeof event['path'] === 'string' ? normalizeEntrypoint(event['path']) : undefined;
    if (path !== undefined && path !== wanted) return;
    if (event['input'] === undefined) skipped.push({ id, reason: 'the event has no input (erased or not logged)' });
    // An NDJSON line goes to the workers as it is; they take its input, sparing the main thread a serialization per event.
    else if (line !== undefined) cases.push({ id, source: 'decision log', input: line, event: true });
    else cases.push({ id, source: 'decision log', input: JSON.stringify(event['input']) });
  });
  return { cases, skipped };
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new AppError('FILE_NOT_FOUND', `--from-decisions ${file} cannot be read`, { cause: err });
  }
}

/** A JSON array of events, a `{decisions: [...]}` page, or NDJSON (one event a line). */
export function parseEvents(text: string, label: string): Event[] {
  return readEvents(text, label).map((r) => r.event);
}

/** Events with, for NDJSON, the line each came from. */
function readEvents(text: string, label: string): EventRecord[] {
  try {
    return eventsOf(JSON.parse(text) as unknown, label).map((event) => ({ event }));
  } catch (err) {
    if (err instanceof AppError) throw err;
  }
  return text.split('\n').flatMap((line, i) => {
    if (line.trim() === '') return [];
    let value: unknown;
    try {
      value = JSON.parse(line) as unknown;
    } catch (err) {
      throw new AppError('INPUT_INVALID', `${label}:${i + 1}: not a JSON decision-log event (${messageOf(err)})`, { cause: err });
    }
    const events = eventsOf(value, `${label}:${i + 1}`);
    return events.length === 1 && events[0] === value ? [{ event: value as Event, line }] : events.map((event) => ({ event }));
  });
}

function eventsOf(value: unknown, label: string): Event[] {
  const list = Array.isArray(value) ? value : isEvent(value) && Array.isArray(value['decisions']) ? value['decisions'] : [value];
  if (!list.every(isEvent)) throw new AppError('INPUT_INVALID', `${label}: decision-log events must be JSON objects`);
  return list;
}

function isEvent(v: unknown): v is Event {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

async function fetchEvents(source: DecisionSource): Promise<Event[]> {
  const events: Event[] = [];
  let url: URL | undefined = new URL(source.from);
  while (url && events.length < source.maxEvents) {
    const page = await fetchPage(url, source.token);
    events.push(...eventsOf(page, url.toString()));
    const next = isEvent(page) ? page['next_cursor'] : undefined;
    url = typeof next === 'string' && next !== '' ? withCursor(url, next) : undefined;
  }
  return events;
}

function withCursor(url: URL, cursor: string): URL {
  const next = new URL(url);
  next.searchParams.set('cursor', cursor);
  return next;
}

async function fetchPage(url: URL, token: string | undefined): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  } catch (err) {
    throw wrapError(err, 'SERVER_UNREACHABLE', `--from-decisions ${url.origin}`);
  }
  const text = await response.text();
  if (!response.ok) throw new AppError('INPUT_INVALID', `--from-decisions ${url.href}: HTTP ${response.status}: ${text.slice(0, 300)}`);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new AppError('INPUT_INVALID', `--from-decisions ${url.href}: the response is not JSON`, { cause: err });
  }
}

/** The event's decision id as OPA logs it (a string), or a numeric id some exporters write. */
function eventId(event: Record<string, unknown>): string | undefined {
  const id = event['decision_id'] ?? event['id'];
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}
