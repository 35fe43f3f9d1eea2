/**
 * Synthetic Trivy reports of a chosen size, for limits and load: clearly
 * made up (image `synthetic/image`, vulnerabilities CVE-2099-*), shaped like
 * Trivy's JSON. `description` pads each finding without growing the input
 * the policy sees (descriptions are not kept when a report is normalized).
 */
export function syntheticTrivyReport(bytes: number, options: { readonly descriptionBytes?: number } = {}): string {
  const description = 'x'.repeat(options.descriptionBytes ?? 600);
  const vulns: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i += 1) {
    const v = JSON.stringify({
      VulnerabilityID: `CVE-2099-${10000 + (i % 90000)}`,
      PkgName: `pkg-${i % 5000}`,
      PkgPath: `usr/lib/node_modules/pkg-${i}/package.json`,
      InstalledVersion: `1.0.${i % 100}`,
      FixedVersion: `1.0.${(i % 100) + 1}`,
      Status: 'fixed',
      Severity: ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'][i % 4],
      Title: `synthetic vulnerability ${i}`,
      Description: description,
      PublishedDate: '2023-01-01T00:00:00Z',
    });
    vulns.push(v);
    size += v.length + 1;
  }
  const metadata = { OS: { Family: 'debian', Name: '12' }, ImageID: `sha256:${'0'.repeat(64)}`, RepoDigests: [`synthetic/image@sha256:${'1'.repeat(64)}`] };
  return `{"SchemaVersion":2,"ArtifactName":"synthetic/image:1","ArtifactType":"container_image","Metadata":${JSON.stringify(metadata)},"Results":[{"Target":"synthetic","Class":"lang-pkgs","Type":"node-pkg","Vulnerabilities":[${vulns.join(',')}]}]}`;
}
