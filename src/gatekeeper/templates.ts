import { regoSource } from './rego.js';

/** A Kubernetes object as plain JSON, ready for YAML. */
export type Manifest = Readonly<Record<string, unknown>>;

export const TARGET = 'admission.k8s.gatekeeper.sh';
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'portcullis' } as const;

/** One generated template: the image-policy rule it enforces and its Constraint parameters. */
export interface TemplateDefinition {
  /** The Constraint kind; the template's name is its lower case. */
  readonly kind: string;
  /** The policy library's rule id, whose mode becomes the Constraint's enforcementAction. */
  readonly rule: string;
  readonly title: string;
  readonly description: string;
  /** File under gatekeeper/rego/ without .rego. */
  readonly rego: string;
  readonly parameters: Readonly<Record<string, unknown>>;
}

const stringList = (description: string) => ({ type: 'array', description, items: { type: 'string' } });
const exemptImages = stringList('Image globs (`*` matches any characters) the rule does not apply to.');

export const TEMPLATES: readonly TemplateDefinition[] = [
  {
    kind: 'PortcullisImageDigests',
    rule: 'require_digest',
    title: 'Images pinned by digest',
    description: 'Every container image is referenced by an immutable sha256 digest.',
    rego: 'image_digests',
    parameters: { exemptImages },
  },
  {
    kind: 'PortcullisAllowedRegistries',
    rule: 'registry_not_allowed',
    title: 'Allowed registries',
    description: 'Container images come only from the listed registries (globs on the registry or registry/repository).',
    rego: 'allowed_registries',
    parameters: { registries: stringList('Allowed registries, e.g. registry.example.com or ghcr.io/example/*.'), exemptImages },
  },
  {
    kind: 'PortcullisMutableTags',
    rule: 'mutable_tag',
    title: 'No mutable image tags',
    description: 'No container image uses a mutable tag; an image without tag or digest counts as :latest.',
    rego: 'mutable_tags',
    parameters: { tags: stringList('Tags treated as mutable, e.g. latest.'), exemptImages },
  },
  {
    kind: 'PortcullisScanVerdict',
    rule: 'scan_verdict',
    title: 'Scan verdict from portcullis',
    description: 'Asks the portcullis external-data provider for the current verdict of every image, by digest, in the namespace it is deployed to.',
    rego: 'scan_verdict',
    parameters: {
      provider: { type: 'string', description: 'Name of the Provider object.' },
      allowUnscanned: { type: 'boolean', description: 'Admit images that have no stored scan result.' },
    },
  },
];

/** A v1 ConstraintTemplate with Rego v1 code and a structural parameter schema. */
export function constraintTemplate(def: TemplateDefinition): Manifest {
  return {
    apiVersion: 'templates.gatekeeper.sh/v1',
    kind: 'ConstraintTemplate',
    metadata: {
      name: def.kind.toLowerCase(),
      labels: { ...MANAGED_BY },
      annotations: { 'metadata.gatekeeper.sh/title': def.title, description: def.description, 'portcullis.dev/rule': def.rule },
    },
    spec: {
      crd: { spec: { names: { kind: def.kind }, validation: { openAPIV3Schema: { type: 'object', properties: def.parameters } } } },
      targets: [
        {
          target: TARGET,
          code: [{ engine: 'Rego', source: { version: 'v1', rego: regoSource(def.rego), libs: [regoSource('lib_images')] } }],
        },
      ],
    },
  };
}
