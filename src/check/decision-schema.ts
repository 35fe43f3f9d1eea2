import { compileSchema, SEVERITIES } from '../core/index.js';
import type { Decision } from '../report/index.js';
import type { DecisionMessages } from './run.js';

const str = { type: 'string' } as const;

const finding = {
  type: 'object',
  required: ['rule', 'message', 'severity', 'enforcement'],
  properties: {
    rule: { type: 'string', minLength: 1 },
    message: str,
    severity: { enum: [...SEVERITIES] },
    enforcement: { enum: ['deny', 'warn'] },
    title: str,
    practice: str,
    image: str,
    id: str,
    package: str,
    installed_version: str,
    fixed_version: str,
    location: {
      type: 'object',
      required: ['file'],
      properties: { file: str, line: { type: 'integer', minimum: 0 } },
    },
  },
} as const;

const exception = {
  type: 'object',
  required: ['rule', 'reason', 'expires'],
  properties: {
    rule: str,
    reason: str,
    expires: str,
    id: str,
    package: str,
    image: str,
    namespace: str,
    namespace_pattern: str,
    finding: { $ref: '#/definitions/finding' },
  },
} as const;

/** The contract of `data.portcullis.scan.decision` (src/report/model.ts); extra keys are allowed and ignored. */
export const decisionSchema = {
  type: 'object',
  required: ['decision', 'violations', 'warnings', 'exceptions', 'expired_exceptions'],
  properties: {
    decision: { enum: ['allow', 'deny'] },
    violations: { type: 'array', items: { $ref: '#/definitions/finding' } },
    warnings: { type: 'array', items: { $ref: '#/definitions/finding' } },
    exceptions: { type: 'array', items: { $ref: '#/definitions/exception' } },
    expired_exceptions: { type: 'array', items: { $ref: '#/definitions/exception' } },
  },
  // Referenced rather than inlined, so ajv compiles each shape once (compiling is most of a CLI run's validation cost).
  definitions: { finding, exception },
} as const;

/** Checks what the policy returned before any formatter reads it. */
export const assertDecision = compileSchema<Decision>(decisionSchema, 'DECISION_INVALID');

/** The contract of `data.portcullis.scan.admission_verdict` (DecisionMessages). */
export const admissionVerdictSchema = {
  type: 'object',
  required: ['reasons', 'warnings', 'expired_exceptions'],
  properties: {
    reasons: { type: 'array', items: str },
    warnings: { type: 'array', items: str },
    expired_exceptions: { type: 'array', items: { $ref: '#/definitions/exception' } },
  },
  definitions: { finding, exception },
} as const;

export const assertAdmissionVerdict = compileSchema<DecisionMessages>(admissionVerdictSchema, 'DECISION_INVALID');
