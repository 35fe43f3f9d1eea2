import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { REPO } from '../helpers/processes.js';

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

let validate: ValidateFunction | undefined;

/**
 * The official SARIF 2.1.0 schema (test/fixtures/sarif/SOURCE.md), compiled
 * with ajv's draft-07 validator: the file is draft-04, whose top-level `id`
 * is renamed to `$id`; every keyword it uses means the same in both drafts.
 */
export function sarifValidator(): ValidateFunction {
  if (validate) return validate;
  const schema = JSON.parse(readFileSync(`${REPO}test/fixtures/sarif/sarif-schema-2.1.0.json`, 'utf8')) as Record<string, unknown>;
  const { id, $schema: _draft, ...rest } = schema;
  // The schema's language pattern has a stray ']', legal only without the u flag.
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  validate = ajv.compile({ ...rest, $id: id as string });
  return validate;
}

export function sarifErrors(text: string): string {
  const v = sarifValidator();
  return v(JSON.parse(text)) ? '' : JSON.stringify(v.errors, null, 2);
}
