/**
 * A JSON number kept as its source lexeme, so that big integers and spellings
 * such as `1.0` or `1E5` survive a parse and re-serialise, as Go's json.Number does.
 */
export class JsonNumber {
  constructor(readonly lexeme: string) {}

  valueOf(): number {
    return Number(this.lexeme);
  }

  toJSON(): number {
    return Number(this.lexeme);
  }
}

export type JsonValue = null | boolean | number | bigint | string | JsonNumber | JsonValue[] | { [key: string]: JsonValue };
