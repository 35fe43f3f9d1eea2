import { any, arr, bool, num, obj, root, str, strMap, strs } from './shape.js';

const vulnerability = obj({
  VulnerabilityID: str,
  VendorIDs: strs,
  PkgName: str,
  PkgPath: str,
  PkgIdentifier: obj({ PURL: str }),
  InstalledVersion: str,
  FixedVersion: str,
  Status: str,
  Severity: str,
  SeveritySource: str,
  PrimaryURL: str,
  DataSource: obj({ ID: str, Name: str }),
  Title: str,
  CVSS: { type: ['object', 'null'], additionalProperties: obj({ V2Score: num, V3Score: num, V40Score: num }) },
  PublishedDate: str,
});

const misconfiguration = obj({
  Type: str,
  ID: str,
  AVDID: str,
  Title: str,
  Message: str,
  Resolution: str,
  Severity: str,
  Status: str,
  PrimaryURL: str,
  CauseMetadata: obj({ StartLine: num, EndLine: num }),
});

const secret = obj({ RuleID: str, Category: str, Severity: str, Title: str, StartLine: num, EndLine: num, Match: str });

const pkg = obj({
  Name: str,
  Version: str,
  FilePath: str,
  Identifier: obj({ PURL: str }),
  Licenses: strs,
});

export const trivyResultSchema = obj({
  Target: str,
  Class: str,
  Type: str,
  Vulnerabilities: arr(vulnerability),
  Misconfigurations: arr(misconfiguration),
  Secrets: arr(secret),
  Packages: arr(pkg),
});

const imageConfig = obj({
  architecture: str,
  created: str,
  config: obj({ User: str, Env: strs, ExposedPorts: { type: ['object', 'null'] }, Labels: strMap }),
});

const metadata = obj({
  Size: num,
  OS: obj({ Family: str, Name: str, EOSL: bool }),
  ImageID: str,
  RepoTags: strs,
  RepoDigests: strs,
  Reference: str,
  ImageConfig: imageConfig,
});

export const trivyReportSchema = root(
  obj({
    SchemaVersion: num,
    Trivy: obj({ Version: str }),
    CreatedAt: str,
    ArtifactName: str,
    ArtifactType: str,
    Metadata: metadata,
    Results: arr(trivyResultSchema),
  }),
);

export const trivyLegacySchema = { type: ['array', 'null'], items: trivyResultSchema };

const k8sResources = arr(obj({ Namespace: str, Kind: str, Name: str, Metadata: any, Results: arr(trivyResultSchema), Error: str }));

export const trivyK8sSchema = root(
  obj({
    SchemaVersion: num,
    ClusterName: str,
    Resources: k8sResources,
    Vulnerabilities: k8sResources,
    Misconfigurations: k8sResources,
    Findings: k8sResources,
  }),
);
