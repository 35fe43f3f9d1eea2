import { compileSchema } from '../core/index.js';
import type { InputFile, NormalizeRequest, ParsedReportFile, ReportFile } from '../inputs/index.js';
import type { CheckOptions } from './run.js';

/** A file given inline: its text or parsed JSON, with an optional name (used in errors and locations) and report format. */
export interface InlineFile {
  readonly name?: string;
  readonly format?: string;
  readonly content: string | object;
}

type Inline = string | object;

/** The JSON body of `POST /v1/check`: the same inputs as `portcullis check`, inline. */
export interface CheckRequestBody {
  readonly reports?: readonly Inline[];
  readonly dockerfile?: Inline;
  readonly manifest?: Inline;
  readonly metadata?: Inline;
  readonly now?: string;
  /** Report format for every report without its own (`auto` detects). */
  readonly format?: string;
  /** As `check --strict`: a report entry that could not be fully read fails the request (422 INPUT_INCOMPLETE). */
  readonly strict?: boolean;
  /** As `check --allow-empty`. */
  readonly allow_empty?: boolean;
}

const WRAPPER_KEYS = new Set(['name', 'format', 'content']);

const wrapper = {
  if: { type: 'object', required: ['content'] },
  then: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 256 },
      format: { type: 'string', minLength: 1, maxLength: 64 },
      content: { type: ['string', 'object', 'array'] },
    },
  },
} as const;

export const checkRequestSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    reports: { type: 'array', maxItems: 32, items: { type: ['string', 'object', 'array'], ...wrapper } },
    dockerfile: { type: ['string', 'object'], ...wrapper },
    manifest: { type: ['string', 'object', 'array'], ...wrapper },
    metadata: { type: ['string', 'object'], ...wrapper },
    now: { type: 'string', minLength: 1, maxLength: 64 },
    format: { type: 'string', minLength: 1, maxLength: 64 },
    strict: { type: 'boolean' },
    allow_empty: { type: 'boolean' },
  },
} as const;

// An untrusted body of up to 64 MiB: the first offending field only, so its size cannot set the number of errors.
const assertBody = compileSchema<CheckRequestBody>(checkRequestSchema, 'REQUEST_INVALID', { firstErrorOnly: true });

/**
 * Turns a request body into the normalizer's request. Each input is a string
 * (the file's text), parsed JSON, or `{name, format, content}`. A report
 * given as parsed JSON is handed over as it is (the normalizer checks its
 * nesting as it would a file's, unless `bodyDepth`, the nesting the body was
 * held to, bounds it within the limit), since writing out and parsing again
 * a report of hundreds of KiB costs more than deciding on it; the other
 * inputs are small and are re-serialized, so they go through the same
 * parsers, limits and error messages as files.
 */
export function checkRequestFromBody(body: unknown, defaultNow: Date, bodyDepth?: number): NormalizeRequest {
  const checked = assertBody(body, 'request body');
  // A report sits two levels into the body at least (body, reports list), so it nests two levels less.
  const nestedAtMost = bodyDepth === undefined ? undefined : bodyDepth - 2;
  const reports = (checked.reports ?? []).map((r, i): ReportFile | ParsedReportFile => {
    const file = inlineReport(r, `report[${i}]`, nestedAtMost);
    const format = unwrap(r)?.format ?? checked.format;
    return format === undefined ? file : { ...file, format };
  });
  return {
    reports,
    dockerfile: optional(checked.dockerfile, 'Dockerfile'),
    manifest: optional(checked.manifest, 'manifest'),
    metadata: optional(checked.metadata, 'metadata'),
    now: checked.now ?? defaultNow,
    allowEmpty: checked.allow_empty === true,
  };
}

/** The check options a request body asks for (validated by checkRequestFromBody first). */
export function checkOptionsFromBody(body: unknown): CheckOptions {
  return { strict: (body as CheckRequestBody).strict === true };
}

function optional(value: Inline | undefined, name: string): InputFile | undefined {
  return value === undefined ? undefined : inlineFile(value, name);
}

function unwrap(value: Inline): InlineFile | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  return keys.includes('content') && keys.every((k) => WRAPPER_KEYS.has(k)) ? (value as InlineFile) : undefined;
}

function inlineReport(value: Inline, defaultName: string, nestedAtMost: number | undefined): ReportFile | ParsedReportFile {
  const wrapped = unwrap(value);
  const content = wrapped ? wrapped.content : value;
  if (typeof content === 'string') return inlineFile(value, defaultName);
  return { path: wrapped?.name ?? defaultName, document: content, ...(nestedAtMost === undefined ? {} : { nestedAtMost }) };
}

function inlineFile(value: Inline, defaultName: string): InputFile {
  const wrapped = unwrap(value);
  const content = wrapped ? wrapped.content : value;
  const text = typeof content === 'string' ? content : JSON.stringify(content);
  return { path: wrapped?.name ?? defaultName, bytes: Buffer.from(text, 'utf8') };
}
