// Builders for the loose JSON Schemas that check a raw report before it is
// mapped: only the fields the mappers read are typed, every one may be
// missing or null (scanners omit empty fields), unknown fields pass.

type Schema = Record<string, unknown>;

export const str: Schema = { type: ['string', 'null'] };
export const num: Schema = { type: ['number', 'null'] };
export const bool: Schema = { type: ['boolean', 'null'] };
export const strOrNum: Schema = { type: ['string', 'number', 'null'] };
export const any: Schema = {};

export function obj(properties: Record<string, Schema>, required: readonly string[] = []): Schema {
  return { type: ['object', 'null'], properties, ...(required.length > 0 ? { required } : {}) };
}

export function arr(items: Schema): Schema {
  return { type: ['array', 'null'], items };
}

export const strs: Schema = arr(str);
export const strMap: Schema = { type: ['object', 'null'], additionalProperties: { type: ['string', 'number', 'boolean', 'null'] } };

/** A required, non-null root. */
export function root(schema: Schema): Schema {
  const type = schema['type'];
  return { ...schema, type: Array.isArray(type) ? type.filter((t) => t !== 'null') : type };
}
