import { XMLParser } from 'fast-xml-parser';
import { AppError, messageOf } from '../../core/index.js';
import type { InputLimits } from '../read.js';
import { rec, type Raw } from './values.js';

// CycloneDX XML (1.2 to 1.6) converted to the JSON shape parseCycloneDx reads,
// so both encodings go through one mapper. fast-xml-parser: maintained, pure
// JavaScript (no native build), and it neither fetches nor expands anything
// but the five predefined entities once a document has no DOCTYPE, which is
// refused here before parsing, with the nesting depth bounded by the same limit as JSON.

type Node = Record<string, unknown>;

/** Whether a document is XML (it starts with `<`, after a BOM and blanks). */
export function looksLikeXml(text: string): boolean {
  return /^\uFEFF?\s*</.test(text);
}

export function parseCycloneDxXml(text: string, file: string, limits: InputLimits): Raw {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw invalid(file, 'XML with a DOCTYPE or entity declarations is not accepted (CycloneDX needs none)');
  let doc: Node;
  try {
    const parser = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '@',
      removeNSPrefix: true,
      parseTagValue: false,
      parseAttributeValue: false,
      trimValues: true,
      processEntities: true,
      maxNestedTags: limits.maxDepth,
      isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
    });
    doc = parser.parse(text, true) as Node;
  } catch (err) {
    throw invalid(file, `invalid XML: ${messageOf(err).split('\n')[0] ?? ''}`);
  }
  const bom = first(doc, 'bom');
  if (!bom) throw invalid(file, 'an XML document whose root is not a CycloneDX <bom>');
  // The parser drops namespace declarations along with prefixes, so the bom's is read from the text.
  const namespace = /<(?:[\w.-]+:)?bom\b[^>]*?\sxmlns(?::[\w.-]+)?\s*=\s*["']([^"']+)["']/.exec(text)?.[1] ?? '';
  const version = /^http:\/\/cyclonedx\.org\/schema\/bom\/(\d+\.\d+)$/.exec(namespace)?.[1];
  if (!version) throw invalid(file, `<bom> in namespace "${namespace}" is not CycloneDX`);
  return bomOf(bom, version);
}

function invalid(file: string, message: string): AppError {
  return new AppError('INPUT_INVALID', `${file}: ${message}`, { details: [{ file, message }] });
}

function kids(node: Node | undefined, name: string): Node[] {
  const value = node?.[name];
  return Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? { '#text': v } : rec(v))) : [];
}

function first(node: Node | undefined, name: string): Node | undefined {
  return kids(node, name)[0];
}

/** The text of the first child element of that name. */
function value(node: Node | undefined, name: string): string | undefined {
  const child = first(node, name);
  const content = child?.['#text'];
  return typeof content === 'string' ? content : child === undefined ? undefined : '';
}

function attr(node: Node | undefined, name: string): string | undefined {
  const v = node?.[`@${name}`];
  return typeof v === 'string' ? v : undefined;
}

/** Elements of a wrapper: `<ratings><rating/>…</ratings>` → the rating nodes. */
function listOf(node: Node | undefined, wrapper: string, item: string): Node[] {
  return kids(node, wrapper).flatMap((w) => kids(w, item));
}

function compact(entries: Record<string, unknown>): Raw {
  return Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)));
}

function bomOf(bom: Node, specVersion: string): Raw {
  const metadata = first(bom, 'metadata');
  const components: Raw[] = [];
  const legacyVulnerabilities: Raw[] = [];
  listOf(bom, 'components', 'component').forEach((c) => collectComponent(c, components, legacyVulnerabilities));
  return compact({
    bomFormat: 'CycloneDX',
    specVersion,
    metadata:
      metadata &&
      compact({ timestamp: value(metadata, 'timestamp'), tools: toolsOf(first(metadata, 'tools')), component: componentOf(first(metadata, 'component')) }),
    components,
    vulnerabilities: [...listOf(bom, 'vulnerabilities', 'vulnerability').map(vulnerabilityOf), ...legacyVulnerabilities],
  });
}

/** 1.4 lists `<tool>`s; 1.5 and later `<components><component>`. */
function toolsOf(tools: Node | undefined): unknown {
  if (!tools) return undefined;
  const components = listOf(tools, 'components', 'component');
  if (components.length > 0) return { components: components.map((c) => compact({ name: value(c, 'name'), version: value(c, 'version') })) };
  return kids(tools, 'tool').map((t) => compact({ vendor: value(t, 'vendor'), name: value(t, 'name'), version: value(t, 'version') }));
}

function componentOf(c: Node | undefined): Raw | undefined {
  if (!c) return undefined;
  return compact({
    'bom-ref': attr(c, 'bom-ref'),
    type: attr(c, 'type'),
    name: value(c, 'name'),
    version: value(c, 'version'),
    purl: value(c, 'purl'),
    properties: listOf(c, 'properties', 'property').map((p) => ({ name: attr(p, 'name'), value: typeof p['#text'] === 'string' ? p['#text'] : '' })),
    licenses: listOf(c, 'licenses', 'license').map((l) => compact({ license: compact({ id: value(l, 'id'), name: value(l, 'name') }) })),
  });
}

/**
 * Flattens nested components. CycloneDX 1.2 and 1.3 had no vulnerabilities
 * section: the vulnerability extension (as Grype wrote it) nests them in each
 * component, which becomes their `affects`; components without a bom-ref get one.
 */
function collectComponent(c: Node, into: Raw[], vulnerabilities: Raw[]): void {
  const component = componentOf(c) as Raw;
  const nested = listOf(c, 'vulnerabilities', 'vulnerability');
  const ref = (component['bom-ref'] as string | undefined) ?? (nested.length > 0 ? `xml-component-${into.length}` : undefined);
  into.push(ref === undefined ? component : { ...component, 'bom-ref': ref });
  for (const v of nested) vulnerabilities.push({ ...legacyVulnerabilityOf(v), affects: [{ ref }] });
  listOf(c, 'components', 'component').forEach((child) => collectComponent(child, into, vulnerabilities));
}

function sourceOf(node: Node | undefined): Raw | undefined {
  return node && compact({ name: value(node, 'name') ?? attr(node, 'name'), url: value(node, 'url') });
}

function vulnerabilityOf(v: Node): Raw {
  const analysis = first(v, 'analysis');
  return compact({
    'bom-ref': attr(v, 'bom-ref'),
    id: value(v, 'id'),
    source: sourceOf(first(v, 'source')),
    references: listOf(v, 'references', 'reference').map((r) => compact({ id: value(r, 'id') })),
    ratings: listOf(v, 'ratings', 'rating').map((r) =>
      compact({ source: sourceOf(first(r, 'source')), score: scoreOf(value(r, 'score')), severity: value(r, 'severity'), method: value(r, 'method') }),
    ),
    description: value(v, 'description'),
    recommendation: value(v, 'recommendation'),
    published: value(v, 'published'),
    advisories: listOf(v, 'advisories', 'advisory').map((a) => compact({ url: value(a, 'url') })),
    analysis: analysis && compact({ state: value(analysis, 'state'), response: listOf(analysis, 'responses', 'response').map((r) => r['#text']) }),
    affects: listOf(v, 'affects', 'target').map((t) =>
      compact({
        ref: value(t, 'ref'),
        versions: listOf(t, 'versions', 'version').map((ver) =>
          compact({ version: value(ver, 'version'), range: value(ver, 'range'), status: value(ver, 'status') }),
        ),
      }),
    ),
  });
}

/** The vulnerability extension 1.0: `<v:score><v:base>`, `<v:source name>`, advisories as plain URLs. */
function legacyVulnerabilityOf(v: Node): Raw {
  return compact({
    id: value(v, 'id'),
    source: sourceOf(first(v, 'source')),
    ratings: listOf(v, 'ratings', 'rating').map((r) =>
      compact({ score: scoreOf(value(first(r, 'score'), 'base')), severity: value(r, 'severity'), method: value(r, 'method') }),
    ),
    description: value(v, 'description'),
    recommendation:
      listOf(v, 'recommendations', 'recommendation')
        .map((r) => r['#text'])
        .join('\n') || undefined,
    advisories: listOf(v, 'advisories', 'advisory').map((a) => compact({ url: a['#text'] })),
  });
}

function scoreOf(raw: string | undefined): number | undefined {
  const n = raw === undefined ? Number.NaN : Number(raw);
  return Number.isFinite(n) ? n : undefined;
}
