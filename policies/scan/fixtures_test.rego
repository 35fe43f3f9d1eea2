# Shared inputs and settings for the scan library tests.
package portcullis.scan.fixtures_test

digest := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

other_digest := "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

ref(registry, repository, tag, image_digest) := {
	"ref": written(registry, repository, tag, image_digest),
	"name": concat("/", [registry, repository]),
	"registry": registry,
	"repository": repository,
	"tag": tag,
	"tag_explicit": tag != null,
	"digest": image_digest,
}

written(registry, repository, tag, null) := concat("", [registry, "/", repository, ":", tag])

written(registry, repository, null, image_digest) := concat("", [registry, "/", repository, "@", image_digest]) if image_digest != null

written(registry, repository, tag, image_digest) := concat("", [registry, "/", repository, ":", tag, "@", image_digest]) if {
	tag != null
	image_digest != null
}

empty_image := {
	"ref": null, "name": null, "registry": null, "repository": null, "tag": null, "digest": null, "id": null,
	"repo_tags": [], "repo_digests": [], "os": {"family": null, "name": null, "eosl": null}, "architecture": null,
	"user": null, "runs_as_root": null, "exposed_ports": [], "env": [], "created": null, "labels": {},
	"base_image": null, "size_bytes": null,
}

scanned_image := object.union(empty_image, {
	"ref": "ghcr.io/acme/api:1.4.2",
	"name": "ghcr.io/acme/api",
	"registry": "ghcr.io",
	"repository": "acme/api",
	"tag": "1.4.2",
	"digest": digest,
	"repo_digests": [concat("@", ["ghcr.io/acme/api", digest])],
	"user": "app",
	"runs_as_root": false,
})

metadata(environment, namespace) := {"namespace": namespace, "namespace_labels": {}, "environment": environment, "cluster": null, "labels": {}}

# A normalized input with only the given top-level keys replaced.
input_with(fields) := object.union(
	{
		"schema_version": 1,
		"now": "2026-11-28T12:00:00Z",
		"image": scanned_image,
		"vulnerabilities": [],
		"misconfigurations": [],
		"secrets": [],
		"packages": [],
		"dockerfile": null,
		"workloads": [],
		"metadata": metadata(null, null),
		"reports": [],
		"summary": {},
	},
	fields,
)

vuln(id, severity, class, fixed) := {
	"id": id,
	"aliases": [],
	"title": null,
	"package": {"name": concat("-", ["pkg", lower(severity), class]), "version": "1.0.0", "type": null, "class": class, "purl": null, "path": null},
	"installed_version": "1.0.0",
	"fixed_version": fixed,
	"fixed_versions": fixed_list(fixed),
	"fix_available": fixed != null,
	"severity": severity,
	"severity_rank": {"UNKNOWN": 0, "NEGLIGIBLE": 1, "LOW": 2, "MEDIUM": 3, "HIGH": 4, "CRITICAL": 5}[severity],
	"status": status_of(fixed),
	"published": "2026-01-01T00:00:00Z",
	"age_days": 331,
	"cvss_score": null,
	"data_source": null,
	"primary_url": null,
	"target": null,
	"resource": null,
}

fixed_list(null) := []

fixed_list(fixed) := [fixed] if fixed != null

status_of(null) := "affected"

status_of(fixed) := "fixed" if fixed != null

workload(namespace, containers) := {
	"source": "manifest", "file": "deploy.yaml", "kind": "Deployment", "api_version": "apps/v1",
	"name": "api", "namespace": namespace, "labels": {}, "annotations": {}, "operation": null, "username": null,
	"containers": containers,
}

container(name, image_ref) := {
	"name": name,
	"type": "container",
	"image": image_ref.ref,
	"image_ref": image_ref,
	"security_context": {"run_as_user": null, "run_as_non_root": null, "privileged": null, "allow_privilege_escalation": null},
}

dockerfile(fields) := object.union(
	{
		"path": "Dockerfile",
		"stages": [{"index": 0, "name": null, "line": 1, "from": "gcr.io/distroless/static:nonroot", "base": ref("gcr.io", "distroless/static", "nonroot", null), "base_stage": null, "platform": null}],
		"final_stage": 0,
		"base_image": ref("gcr.io", "distroless/static", "nonroot", null),
		"instructions": [],
		"users": [{"line": 5, "stage": 0, "user": "65532"}],
		"final_user": "65532",
		"runs_as_root": false,
		"exposed_ports": [],
		"adds_from_url": [],
		"copies": [],
		"env": [],
		"args": [],
		"runs": [],
		"has_healthcheck": false,
	},
	fields,
)

prod_settings := {
	"default_environment": "prod",
	"environments": [
		{
			"name": "prod",
			"match": {"environments": ["prod"], "namespaces": ["prod-*"]},
			"vulnerability_severity": [
				{"package_class": "os", "severity": "HIGH", "ignore_unfixed": true},
				{"package_class": "library", "severity": "CRITICAL", "ignore_unfixed": true},
				{"severity": "CRITICAL", "enforcement": "warn"},
			],
			"vulnerability_age": [{"severity": "MEDIUM", "max_age_days": 90, "ignore_unfixed": true, "enforcement": "warn"}],
		},
		{
			"name": "dev",
			"match": {"environments": ["dev"], "namespaces": ["dev-*", "sandbox"]},
			"rules": {"vulnerability_severity": {"enforcement": "warn"}},
			"vulnerability_severity": [{"severity": "HIGH"}],
			"vulnerability_age": [{"severity": "HIGH", "max_age_days": 30, "enforcement": "deny"}],
		},
	],
}

rules_of(findings) := {f.rule | some f in findings}

ids_of(findings) := {f.id | some f in findings}
