import { compileSchema } from '../../core/index.js';

/**
 * OPA's UpdateRequestV1 and EventV1, as far as portcullis reads them: unknown
 * fields pass (newer agents add some), but every field that is stored must
 * have the type OPA gives it. Validated through compileSchema, precompiled by
 * the build like every other schema.
 */

const rfc3339 = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}[Tt ]\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?([Zz]|[+-]\\d{2}:\\d{2})$' } as const;
// Labels identify agents and are listed with every agent: bounded, so one agent cannot make GET /v1/agents huge.
const labels = {
  type: 'object',
  required: ['id'],
  maxProperties: 64,
  properties: { id: { type: 'string', minLength: 1, maxLength: 256 } },
  additionalProperties: { type: 'string', maxLength: 1024 },
} as const;

const bundleStatus = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    active_revision: { type: 'string' },
    last_request: rfc3339,
    last_successful_request: rfc3339,
    last_successful_download: rfc3339,
    last_successful_activation: rfc3339,
    type: { type: 'string' },
    size: { type: 'integer' },
    code: { type: 'string' },
    message: { type: 'string' },
    http_code: { type: 'integer' },
    errors: { type: 'array' },
    metrics: { type: 'object' },
  },
} as const;

const errorStatus = {
  type: 'object',
  properties: { code: { type: 'string' }, message: { type: 'string' }, http_code: { type: 'integer' } },
} as const;

export const statusSchema = {
  type: 'object',
  required: ['labels'],
  properties: {
    labels,
    bundles: { type: 'object', additionalProperties: bundleStatus },
    discovery: bundleStatus,
    bundle: bundleStatus,
    decision_logs: errorStatus,
    plugins: { type: 'object', additionalProperties: { type: 'object', properties: { state: { type: 'string' } } } },
    metrics: { type: 'object' },
  },
} as const;

export const eventsSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['labels', 'timestamp'],
    properties: {
      labels,
      decision_id: { type: 'string' },
      trace_id: { type: 'string' },
      span_id: { type: 'string' },
      revision: { type: 'string' },
      bundles: { type: 'object', additionalProperties: { type: 'object', properties: { revision: { type: 'string' } } } },
      path: { type: 'string' },
      query: { type: 'string' },
      erased: { type: 'array', items: { type: 'string' } },
      masked: { type: 'array', items: { type: 'string' } },
      requested_by: { type: 'string' },
      timestamp: rfc3339,
      metrics: { type: 'object' },
      req_id: { type: 'integer' },
    },
  },
} as const;

export interface BundleStatusV1 {
  readonly name?: string;
  readonly active_revision?: string;
  readonly last_request?: string;
  readonly last_successful_request?: string;
  readonly last_successful_download?: string;
  readonly last_successful_activation?: string;
  readonly type?: string;
  readonly size?: number;
  readonly code?: string;
  readonly message?: string;
  readonly http_code?: number;
  readonly errors?: readonly unknown[];
}

export interface UpdateRequestV1 {
  readonly labels: { readonly id: string; readonly version?: string } & Readonly<Record<string, string>>;
  readonly bundles?: Readonly<Record<string, BundleStatusV1>>;
  readonly discovery?: BundleStatusV1;
  readonly bundle?: BundleStatusV1;
  readonly decision_logs?: { readonly code?: string; readonly message?: string; readonly http_code?: number };
  readonly plugins?: Readonly<Record<string, { readonly state?: string }>>;
}

export interface EventV1 extends Readonly<Record<string, unknown>> {
  readonly labels: { readonly id: string } & Readonly<Record<string, string>>;
  readonly decision_id?: string;
  readonly revision?: string;
  readonly bundles?: Readonly<Record<string, { readonly revision?: string }>>;
  readonly path?: string;
  readonly timestamp: string;
}

// The first offending field only: a batch's size must not set how many error objects are made on the event loop.
const validateStatus = compileSchema<UpdateRequestV1>(statusSchema, 'INPUT_INVALID', { firstErrorOnly: true });
const validateEvents = compileSchema<EventV1[]>(eventsSchema, 'INPUT_INVALID', { firstErrorOnly: true });

export const assertStatus = (value: unknown): UpdateRequestV1 => validateStatus(value, 'status update');
export const assertEvents = (value: unknown): EventV1[] => validateEvents(value, 'decision log batch');
