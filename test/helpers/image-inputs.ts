const D = 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

/** Inputs for the example image policy with the rules each must trip under its example settings. */
export const IMAGE_CASES: readonly { readonly images: readonly string[]; readonly rules: readonly string[] }[] = [
  { images: [`registry.example.com/app@${D}`], rules: [] },
  { images: [`ghcr.io/acme/api:1.4.2@${D}`], rules: [] },
  { images: [`localhost:5000/team/app@${D}`], rules: [] },
  { images: [`docker.io/library/nginx:1.27.0@${D}`], rules: [] },
  { images: [], rules: [] },
  { images: [`a@${D}`, `b:v2@${D}`], rules: [] },
  { images: ['nginx'], rules: ['mutable_tag', 'require_digest'] },
  { images: ['nginx:latest'], rules: ['mutable_tag', 'require_digest'] },
  { images: ['nginx:1.27'], rules: ['require_digest'] },
  { images: [`nginx:latest@${D}`], rules: ['mutable_tag'] },
  { images: [`app:staging@${D}`], rules: ['mutable_tag'] },
  { images: ['app:staging'], rules: ['mutable_tag', 'require_digest'] },
  { images: ['localhost:5000/app'], rules: ['mutable_tag', 'require_digest'] },
  { images: ['localhost:5000/app:2.0'], rules: ['require_digest'] },
  { images: ['app@sha256:abc'], rules: ['mutable_tag', 'require_digest'] },
  { images: [`app@${D.toUpperCase().replace('SHA256', 'sha256')}`], rules: ['mutable_tag', 'require_digest'] },
  { images: ['ghcr.io/acme/api:main'], rules: ['mutable_tag', 'require_digest'] },
  { images: ['ghcr.io/acme/api:nightly'], rules: ['mutable_tag', 'require_digest'] },
  { images: ['ghcr.io/acme/api:edge-2'], rules: ['require_digest'] },
  { images: [`ok@${D}`, 'bad:latest'], rules: ['mutable_tag', 'require_digest'] },
  { images: [`ok@${D}`, 'bad:1.0'], rules: ['require_digest'] },
  { images: ['quay.io/org/img:dev'], rules: ['mutable_tag', 'require_digest'] },
  { images: [`quay.io/org/img:master@${D}`], rules: ['mutable_tag'] },
  { images: ['a:1', 'b:2', 'c:latest'], rules: ['mutable_tag', 'require_digest'] },
];

/** The sorted set of rule ids in a deny result. */
export function rulesOf(deny: unknown): string[] {
  return [...new Set((deny as { rule: string }[]).map((v) => v.rule))].sort();
}
