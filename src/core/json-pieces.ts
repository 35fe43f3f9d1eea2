/** Elements of an array stringified together: a few dozen findings or vulnerabilities, tens of KiB of text. */
const BATCH_ELEMENTS = 64;
/** An array this short (a request's one report, a report's one image) is split element by element instead. */
const FEW_ELEMENTS = 4;
/** Containers nested deeper than this are stringified whole; above it, each field of an object is a piece of its own. */
const SPLIT_DEPTH = 4;

/**
 * JSON.stringify(value), as pieces whose concatenation is the same text:
 * down to a few levels, each field of an object is a piece of its own, an
 * array of a few elements is split element by element, and a longer one is
 * stringified in batches of elements, once however often it appears. V8
 * builds a long JSON text as a tree of parts, which the first native reader
 * of it (UTF-8 encoding, a search) copies into one flat string; past 128 KiB
 * that string is a large object, mapped afresh from the kernel for each
 * text, faulted in page by page and unmapped again after the next
 * collection. Pieces this size stay in the young generation.
 */
export function jsonPieces(value: unknown): string[] {
  const writer = new PieceWriter();
  writer.write(value, SPLIT_DEPTH);
  return writer.pieces;
}

/** The UTF-8 bytes of pieces of text (jsonPieces), in one buffer. */
export function utf8Bytes(pieces: readonly string[]): Buffer {
  const bytes = Buffer.allocUnsafe(pieces.reduce((n, piece) => n + Buffer.byteLength(piece), 0));
  let offset = 0;
  for (const piece of pieces) offset += bytes.write(piece, offset);
  return bytes;
}

class PieceWriter {
  readonly pieces: string[] = [];
  /** The text of each long array written so far: a report's lists, which it repeats for its one image, are stringified once. */
  private readonly arrays = new Map<readonly unknown[], readonly string[]>();

  write(value: unknown, depth: number): void {
    if (depth === 0 || value === null || typeof value !== 'object' || hasToJson(value)) {
      this.pieces.push(stringified(value));
    } else if (Array.isArray(value)) {
      this.writeArray(value as readonly unknown[], depth);
    } else if (isPlainObject(value)) {
      this.writeObject(value, depth);
    } else {
      this.pieces.push(stringified(value));
    }
  }

  private writeArray(list: readonly unknown[], depth: number): void {
    if (list.length > FEW_ELEMENTS) {
      let text = this.arrays.get(list);
      if (!text) {
        text = batches(list);
        this.arrays.set(list, text);
      }
      this.pieces.push(...text);
      return;
    }
    this.pieces.push('[');
    list.forEach((element, i) => {
      if (i > 0) this.pieces.push(',');
      // As JSON.stringify writes what JSON cannot hold in an array: null.
      if (isOmitted(element)) this.pieces.push('null');
      else this.write(element, depth - 1);
    });
    this.pieces.push(']');
  }

  private writeObject(object: Record<string, unknown>, depth: number): void {
    this.pieces.push('{');
    let first = true;
    for (const key of Object.keys(object)) {
      const field = object[key];
      // As JSON.stringify leaves out a field whose value JSON cannot hold.
      if (isOmitted(field)) continue;
      this.pieces.push(`${first ? '' : ','}${JSON.stringify(key)}:`);
      first = false;
      this.write(field, depth - 1);
    }
    this.pieces.push('}');
  }
}

/** A long array's text, stringified in batches of elements. */
function batches(list: readonly unknown[]): string[] {
  const text = ['['];
  for (let start = 0; start < list.length; start += BATCH_ELEMENTS) {
    if (start > 0) text.push(',');
    // The batch's own brackets dropped: a slice of its text, which stays small.
    text.push(stringified(list.slice(start, start + BATCH_ELEMENTS)).slice(1, -1));
  }
  text.push(']');
  return text;
}

function stringified(value: unknown): string {
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) throw new TypeError('the value cannot be written as JSON');
  return text;
}

function isOmitted(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

function hasToJson(value: object): boolean {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

/** Only objects JSON.stringify writes field by field: not Maps, class instances with getters, or boxed primitives. */
function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
