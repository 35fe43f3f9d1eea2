// HTML built with one tagged template that escapes every interpolated value
// unless it is itself Html made by this tag. Nothing reaches a page unescaped
// by accident: a value has to be built as markup to be markup.

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Markup that is safe to place in a page as is. Only `html`, `join` and `fromTrusted` make one. */
export class Html {
  private constructor(readonly text: string) {}

  /** @internal For this module's builders only; never pass it text that came from a request or the store. */
  static fromTrusted(text: string): Html {
    return new Html(text);
  }

  toString(): string {
    return this.text;
  }
}

/** An interpolated value: markup, text, a number, nothing, or a list of them. */
export type Fragment = Html | string | number | boolean | null | undefined | readonly Fragment[];

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function render(value: Fragment): string {
  if (value instanceof Html) return value.text;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map((v: Fragment) => render(v)).join('');
  return escapeHtml(String(value));
}

/** The template tag: `html\`<td>${name}</td>\`` escapes `name`, keeps nested `html` markup. */
export function html(strings: TemplateStringsArray, ...values: readonly Fragment[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return Html.fromTrusted(out);
}

/** Fragments joined by a separator (escaped like any value). */
export function join(items: readonly Fragment[], separator: Fragment = ''): Html {
  return Html.fromTrusted(items.map((item) => render(item)).join(render(separator)));
}
