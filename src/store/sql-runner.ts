import type Database from 'better-sqlite3';
import type pg from 'pg';

/**
 * One statement: SQL with `?` placeholders (never inside literals) and its
 * parameters. PostgreSQL's `$n` placeholders are made from them.
 */
export interface Sql {
  readonly text: string;
  readonly params: readonly unknown[];
}

export type Row = Readonly<Record<string, unknown>>;

/**
 * A unit of database work written once for both drivers: a generator that
 * yields statements and receives their rows. SQLite runs it synchronously
 * inside one transaction (nothing else can interleave), PostgreSQL with
 * awaits on one pooled connection.
 */
export type Work<T> = Generator<Sql, T, Row[]>;

export type Dialect = 'sqlite' | 'postgres';

export interface SqlRunner {
  readonly dialect: Dialect;
  /** Runs `work` as one transaction; PostgreSQL retries it on a deadlock or serialization failure. */
  write<T>(work: () => Work<T>): Promise<T>;
  /** Runs `work` as a consistent read: every statement sees the same committed state. */
  read<T>(work: () => Work<T>): Promise<T>;
  /** Vacuums and analyzes `table` (PostgreSQL; nothing in SQLite). */
  vacuum(table: string): Promise<void>;
}

export const sql = (text: string, ...params: unknown[]): Sql => ({ text, params });

/** A list of records handed to a statement as one JSON parameter (see recordset). */
export class JsonParam {
  constructor(readonly value: unknown) {}
}

type Column = readonly [name: string, type: 'text' | 'int' | 'real'];

/**
 * A FROM item over a JSON array of records, so a batch of any size is one
 * statement: `json_each` in SQLite, `json_to_recordset` in PostgreSQL (the
 * text is read once, so parsing it into jsonb first would only add work). Its
 * columns are named as given, under the alias `x`.
 */
export function recordset(dialect: Dialect, columns: readonly Column[]): string {
  if (dialect === 'postgres') {
    const types = { text: 'text', int: 'bigint', real: 'double precision' } as const;
    return `json_to_recordset(?::json) AS x(${columns.map(([c, t]) => `${c} ${types[t]}`).join(', ')})`;
  }
  return `(SELECT ${columns.map(([c]) => `json_extract(value, '$.${c}') AS ${c}`).join(', ')} FROM json_each(?)) AS x`;
}

/** `column IN (list)` for a list of any length as one parameter. */
export function inList(dialect: Dialect, column: string): string {
  return dialect === 'postgres' ? `${column} = ANY(?)` : `${column} IN (SELECT value FROM json_each(?))`;
}

/** The parameter inList expects for `values`. */
export function listParam(dialect: Dialect, values: readonly (string | number)[]): unknown {
  return dialect === 'postgres' ? values : new JsonParam(values);
}

export const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value));
export const optNum = (value: unknown): number | null => (value === null || value === undefined ? null : num(value));

/** jsonb cannot hold U+0000, which JSON allows: such characters are stored as U+FFFD. */
export function pgJson(value: unknown): string {
  return JSON.stringify(value).replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd');
}

export const pgText = (value: string): string => value.replaceAll('\u0000', '\ufffd');

export class SqliteRunner implements SqlRunner {
  readonly dialect = 'sqlite' as const;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  async write<T>(work: () => Work<T>): Promise<T> {
    return this.db.transaction(() => this.drive(work()))();
  }

  async read<T>(work: () => Work<T>): Promise<T> {
    return this.drive(work());
  }

  async vacuum(): Promise<void> {}

  private drive<T>(gen: Work<T>): T {
    let step = gen.next();
    while (!step.done) step = gen.next(this.exec(step.value));
    return step.value;
  }

  private exec(statement: Sql): Row[] {
    let prepared = this.statements.get(statement.text);
    if (!prepared) {
      prepared = this.db.prepare(statement.text);
      this.statements.set(statement.text, prepared);
    }
    const params = statement.params.map(sqliteValue);
    if (prepared.reader) return prepared.all(...params) as Row[];
    prepared.run(...params);
    return [];
  }
}

function sqliteValue(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.getTime();
  if (value instanceof JsonParam) return JSON.stringify(value.value);
  return value;
}

const RETRYABLE = new Set(['40001', '40P01']);

export class PostgresRunner implements SqlRunner {
  readonly dialect = 'postgres' as const;

  constructor(private readonly pool: pg.Pool) {}

  async write<T>(work: () => Work<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const result = await this.drive(client, work());
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        const code = (err as { code?: string }).code;
        if (attempt >= 5 || code === undefined || !RETRYABLE.has(code)) throw err;
      } finally {
        client.release();
      }
    }
  }

  /** In one read-only snapshot, so the statements of a read agree (a page and its total, status counts and state). */
  async read<T>(work: () => Work<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const result = await this.drive(client, work());
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** Outside any transaction, as VACUUM must be; it takes no lock that reads or writes wait for. */
  async vacuum(table: string): Promise<void> {
    await this.pool.query(`VACUUM (ANALYZE) ${table}`);
  }

  private async drive<T>(client: pg.PoolClient, gen: Work<T>): Promise<T> {
    let step = gen.next();
    while (!step.done) {
      const { rows } = await client.query({ text: placeholders(step.value.text), values: step.value.params.map(postgresValue) });
      step = gen.next(rows as Row[]);
    }
    return step.value;
  }
}

function postgresValue(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.getTime();
  if (value instanceof JsonParam) return pgJson(value.value);
  if (typeof value === 'string') return pgText(value);
  if (Array.isArray(value)) return value.map((v: unknown) => (typeof v === 'string' ? pgText(v) : v));
  return value;
}

/** `?` to `$1`, `$2`, ...; statements never hold `?` in literals. */
function placeholders(text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
}

/** A text column (or a number PostgreSQL returns as text). */
export function str(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  throw new TypeError(`expected text from the database, got ${value === null ? 'null' : typeof value}`);
}

export const optStr = (value: unknown): string | null => (value === null || value === undefined ? null : str(value));
