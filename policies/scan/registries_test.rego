package portcullis.scan.registries_test

import data.portcullis.scan.fixtures_test as fx
import data.portcullis.scan.registries

restricted := {"images": {"allowed_registries": ["ghcr.io/acme/*", "*.dkr.ecr.*.amazonaws.com"], "allowed_base_images": ["gcr.io/distroless/*", "docker.io/library/alpine:3.*"]}}

test_allowed_registries_empty_allows_all if {
	count(registries.registry_not_allowed) == 0 with input as fx.input_with({})
}

test_registry_matched_by_repository_glob if {
	count(registries.registry_not_allowed) == 0 with input as fx.input_with({}) with data.portcullis.scan.settings as restricted
}

test_registry_not_allowed_for_deployed if {
	ref := fx.ref("docker.io", "library/nginx", "1.27", null)
	findings := registries.registry_not_allowed with input as fx.input_with({"workloads": [fx.workload("default", [fx.container("web", ref)])]})
		with data.portcullis.scan.settings as restricted
	count(findings) == 1
	some f in findings
	contains(f.message, "registry 'docker.io'")
	not f.location
}

test_registry_host_glob if {
	ref := fx.ref("1234.dkr.ecr.eu-west-1.amazonaws.com", "team/app", "1", null)
	count(registries.registry_not_allowed) == 0 with input as fx.input_with({"workloads": [fx.workload("default", [fx.container("web", ref)])]})
		with data.portcullis.scan.settings as restricted
}

test_base_image_not_allowed_points_at_from if {
	df := fx.dockerfile({"stages": [{"index": 0, "name": null, "line": 2, "from": "node:20", "base": fx.ref("docker.io", "library/node", "20", null), "base_stage": null, "platform": null}]})
	findings := registries.base_image_not_allowed with input as fx.input_with({"dockerfile": df}) with data.portcullis.scan.settings as restricted
	some f in findings
	f.location == {"file": "Dockerfile", "line": 2}
}

test_base_image_allowed_by_name_and_tag if {
	df := fx.dockerfile({"stages": [{"index": 0, "name": null, "line": 1, "from": "alpine:3.20", "base": fx.ref("docker.io", "library/alpine", "3.20", null), "base_stage": null, "platform": null}]})
	count(registries.base_image_not_allowed) == 0 with input as fx.input_with({"dockerfile": df}) with data.portcullis.scan.settings as restricted
}

test_base_image_from_report_without_dockerfile if {
	image := object.union(fx.scanned_image, {"base_image": fx.ref("docker.io", "library/node", "20", null)})
	findings := registries.base_image_not_allowed with input as fx.input_with({"image": image}) with data.portcullis.scan.settings as restricted
	count(findings) == 1
}

test_stage_built_from_another_stage_is_not_a_base if {
	df := fx.dockerfile({"stages": [{"index": 0, "name": null, "line": 1, "from": "build", "base": fx.ref("docker.io", "library/node", "20", null), "base_stage": "build", "platform": null}]})
	count(registries.base_image_not_allowed) == 0 with input as fx.input_with({"dockerfile": df}) with data.portcullis.scan.settings as restricted
}

test_distroless_is_minimal if {
	count(registries.non_minimal_base_image) == 0 with input as fx.input_with({"dockerfile": fx.dockerfile({})})
}

test_scratch_is_minimal if {
	df := fx.dockerfile({"stages": [{"index": 0, "name": null, "line": 1, "from": "scratch", "base": null, "base_stage": null, "platform": null}], "base_image": null})
	count(registries.non_minimal_base_image) == 0 with input as fx.input_with({"dockerfile": df})
}

test_full_os_base_warns if {
	node := fx.ref("docker.io", "library/node", "20", null)
	df := fx.dockerfile({"stages": [{"index": 0, "name": null, "line": 1, "from": "node:20", "base": node, "base_stage": null, "platform": null}], "base_image": node})
	findings := registries.non_minimal_base_image with input as fx.input_with({"dockerfile": df})
	some f in findings
	f.enforcement == "warn"
	f.severity == "LOW"
}

test_minimal_list_is_configurable if {
	node := fx.ref("docker.io", "library/node", "20-slim", null)
	df := fx.dockerfile({"stages": [{"index": 0, "name": null, "line": 1, "from": "node:20-slim", "base": node, "base_stage": null, "platform": null}], "base_image": node})
	count(registries.non_minimal_base_image) == 0 with input as fx.input_with({"dockerfile": df})
		with data.portcullis.scan.settings as {"images": {"minimal_base_images": ["*-slim"]}}
}

test_findings_union if {
	count(registries.findings) == 0 with input as fx.input_with({})
}
