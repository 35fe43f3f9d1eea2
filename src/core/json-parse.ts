import { AppError } from './errors.js';
import { JsonNumber, type JsonValue } from './json-number.js';

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WS = /[ \t\n\r]*/y;
const MAX_DEPTH = 1000;

/**
 * Parses JSON like Go's decoder with UseNumber: numbers keep their lexeme,
 * a leading BOM is ignored, the last of duplicate keys wins, and unpaired
 * surrogate escapes become U+FFFD.
 */
export function parseJsonPreserving(text: string, source = 'JSON'): JsonValue {
  const parser = new Parser(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, source);
  const value = parser.value(0);
  parser.skipWhitespace();
  if (!parser.atEnd()) parser.fail('unexpected data after the top-level value');
  return value;
}

class Parser {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly source: string,
  ) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  skipWhitespace(): void {
    WS.lastIndex = this.pos;
    WS.exec(this.text);
    this.pos = WS.lastIndex;
  }

  fail(message: string): never {
    const before = this.text.slice(0, this.pos);
    const line = before.split('\n').length;
    const column = this.pos - before.lastIndexOf('\n');
    throw new AppError('INPUT_INVALID', `${this.source}: invalid JSON at line ${line}, column ${column}: ${message}`, {
      details: [{ message, file: this.source, line, column }],
    });
  }

  value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    this.skipWhitespace();
    const ch = this.text[this.pos];
    if (ch === '{') return this.object(depth);
    if (ch === '[') return this.array(depth);
    if (ch === '"') return this.string();
    if (this.text.startsWith('true', this.pos)) return this.literal('true', true);
    if (this.text.startsWith('false', this.pos)) return this.literal('false', false);
    if (this.text.startsWith('null', this.pos)) return this.literal('null', null);
    return this.number();
  }

  private literal<T extends JsonValue>(word: string, value: T): T {
    this.pos += word.length;
    return value;
  }

  private number(): JsonNumber {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (!match) this.fail(this.atEnd() ? 'unexpected end of input' : `unexpected character ${JSON.stringify(this.text[this.pos])}`);
    this.pos = NUMBER.lastIndex;
    return new JsonNumber(match[0]);
  }

  private object(depth: number): { [key: string]: JsonValue } {
    const out: { [key: string]: JsonValue } = {};
    this.pos++;
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') this.fail('expected a string key');
      const key = this.string();
      this.skipWhitespace();
      if (this.text[this.pos] !== ':') this.fail("expected ':' after key");
      this.pos++;
      Object.defineProperty(out, key, { value: this.value(depth + 1), enumerable: true, writable: true, configurable: true });
      this.skipWhitespace();
      const sep = this.text[this.pos++];
      if (sep === '}') return out;
      if (sep !== ',') this.fail("expected ',' or '}' in object");
    }
  }

  private array(depth: number): JsonValue[] {
    const out: JsonValue[] = [];
    this.pos++;
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.skipWhitespace();
      const sep = this.text[this.pos++];
      if (sep === ']') return out;
      if (sep !== ',') this.fail("expected ',' or ']' in array");
    }
  }

  private string(): string {
    this.pos++;
    let out = '';
    for (;;) {
      if (this.atEnd()) this.fail('unterminated string');
      const code = this.text.charCodeAt(this.pos);
      if (code === 0x22) {
        this.pos++;
        return out;
      }
      if (code < 0x20) this.fail('control character in string');
      if (code !== 0x5c) {
        const end = this.nextSpecial();
        out += this.text.slice(this.pos, end);
        this.pos = end;
        continue;
      }
      out += this.escape();
    }
  }

  private nextSpecial(): number {
    let i = this.pos;
    while (i < this.text.length) {
      const c = this.text.charCodeAt(i);
      if (c === 0x22 || c === 0x5c || c < 0x20) break;
      i++;
    }
    return i;
  }

  private escape(): string {
    const ch = this.text[this.pos + 1];
    this.pos += 2;
    switch (ch) {
      case '"':
        return '"';
      case '\\':
        return '\\';
      case '/':
        return '/';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'u':
        return this.unicodeEscape();
      default:
        return this.fail(`invalid escape \\${ch ?? ''}`);
    }
  }

  private hex4(): number {
    const digits = this.text.slice(this.pos, this.pos + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(digits)) this.fail('invalid \\u escape');
    this.pos += 4;
    return parseInt(digits, 16);
  }

  private unicodeEscape(): string {
    const unit = this.hex4();
    if (unit < 0xd800 || unit > 0xdfff) return String.fromCharCode(unit);
    if (unit <= 0xdbff && this.text.startsWith('\\u', this.pos)) {
      const save = this.pos;
      this.pos += 2;
      const low = this.hex4();
      if (low >= 0xdc00 && low <= 0xdfff) return String.fromCharCode(unit, low);
      this.pos = save;
    }
    return '\ufffd';
  }
}
