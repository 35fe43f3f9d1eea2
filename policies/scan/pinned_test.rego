package portcullis.scan.pinned_test

import data.portcullis.scan.fixtures_test as fx
import data.portcullis.scan.pinned

latest_image := object.union(fx.scanned_image, {"ref": "ghcr.io/acme/api:latest", "tag": "latest"})

test_scanned_latest_is_mutable if {
	findings := pinned.mutable_tag with input as fx.input_with({"image": latest_image})
	count(findings) == 1
	some f in findings
	f.image == "ghcr.io/acme/api:latest"
	f.enforcement == "deny"
	f.severity == "HIGH"
}

test_scanned_release_tag_is_not_mutable if {
	count(pinned.mutable_tag) == 0 with input as fx.input_with({})
}

test_scanned_reference_with_digest_is_not_mutable if {
	image := object.union(latest_image, {"ref": concat("@", ["ghcr.io/acme/api:latest", fx.digest])})
	count(pinned.mutable_tag) == 0 with input as fx.input_with({"image": image})
}

test_configured_mutable_tags if {
	image := object.union(fx.scanned_image, {"ref": "ghcr.io/acme/api:staging", "tag": "staging"})
	count(pinned.mutable_tag) == 0 with input as fx.input_with({"image": image})
	count(pinned.mutable_tag) == 1 with input as fx.input_with({"image": image})
		with data.portcullis.scan.settings as {"images": {"mutable_tags": ["latest", "staging"]}}
}

test_deployed_implicit_latest if {
	# parseImageRef spells `nginx` as tag latest, not explicit
	ref := object.union(fx.ref("docker.io", "library/nginx", "latest", null), {"ref": "nginx", "tag_explicit": false})
	findings := pinned.mutable_tag with input as fx.input_with({"workloads": [fx.workload("default", [fx.container("web", ref)])]})
	some f in findings
	contains(f.message, "container 'web' of Deployment default/api uses the mutable tag 'latest' (nginx)")
}

test_deployed_digest_wins_over_tag if {
	ref := fx.ref("docker.io", "library/nginx", "latest", fx.digest)
	count(pinned.mutable_tag) == 0 with input as fx.input_with({"workloads": [fx.workload("default", [fx.container("web", ref)])]})
}

test_dockerfile_base_latest_points_at_line if {
	df := fx.dockerfile({"stages": [{"index": 0, "name": null, "line": 3, "from": "alpine", "base": fx.ref("docker.io", "library/alpine", "latest", null), "base_stage": null, "platform": null}]})
	findings := pinned.mutable_tag with input as fx.input_with({"dockerfile": df})
	some f in findings
	f.location == {"file": "Dockerfile", "line": 3}
}

test_mutable_tag_off if {
	count(pinned.mutable_tag) == 0 with input as fx.input_with({"image": latest_image})
		with data.portcullis.scan.settings as {"rules": {"mutable_tag": {"enforcement": "off"}}}
}

test_mutable_tag_warn if {
	findings := pinned.mutable_tag with input as fx.input_with({"image": latest_image})
		with data.portcullis.scan.settings as {"rules": {"mutable_tag": {"enforcement": "warn"}}}
	{f.enforcement | some f in findings} == {"warn"}
}

test_require_digest_on_deployed_tags if {
	ref := fx.ref("ghcr.io", "acme/api", "1.4.2", null)
	findings := pinned.require_digest with input as fx.input_with({"workloads": [fx.workload("prod-api", [fx.container("api", ref)])]})
	count(findings) == 1
	count(pinned.require_digest) == 0 with input as fx.input_with({"workloads": [fx.workload("prod-api", [fx.container("api", fx.ref("ghcr.io", "acme/api", null, fx.digest))])]})
}

test_require_base_image_digest_is_opt_in if {
	df := fx.dockerfile({})
	count(pinned.require_digest) == 0 with input as fx.input_with({"dockerfile": df})
	findings := pinned.require_digest with input as fx.input_with({"dockerfile": df})
		with data.portcullis.scan.settings as {"images": {"require_base_image_digest": true}}
	some f in findings
	f.location.line == 1
}

test_digest_mismatch if {
	ref := fx.ref("ghcr.io", "acme/api", "1.4.2", fx.other_digest)
	findings := pinned.digest_mismatch with input as fx.input_with({"workloads": [fx.workload("prod-api", [fx.container("api", ref)])]})
	some f in findings
	f.severity == "CRITICAL"
	contains(f.message, fx.digest)
}

test_digest_match_is_fine if {
	ref := fx.ref("ghcr.io", "acme/api", "1.4.2", fx.digest)
	count(pinned.digest_mismatch) == 0 with input as fx.input_with({"workloads": [fx.workload("prod-api", [fx.container("api", ref)])]})
}

test_digest_mismatch_ignores_other_repositories if {
	ref := fx.ref("ghcr.io", "acme/sidecar", "1", fx.other_digest)
	count(pinned.digest_mismatch) == 0 with input as fx.input_with({"workloads": [fx.workload("prod-api", [fx.container("api", ref)])]})
}

test_findings_union if {
	rules := fx.rules_of(pinned.findings) with input as fx.input_with({"image": latest_image, "workloads": [fx.workload("prod-api", [fx.container("api", fx.ref("ghcr.io", "acme/api", "2", null))])]})
	rules == {"mutable_tag", "require_digest"}
}
