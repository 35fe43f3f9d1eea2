package portcullis.scan.images_test

import data.portcullis.scan.fixtures_test as fx
import data.portcullis.scan.images

test_forms_cover_every_spelling if {
	images.forms(fx.ref("docker.io", "library/nginx", "1.27", fx.digest)) == {
		"docker.io/library/nginx:1.27@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"docker.io/library/nginx",
		"docker.io/library/nginx:1.27",
		"docker.io/library/nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	}
}

test_forms_without_tag_or_digest if {
	images.forms({"ref": "x", "name": "docker.io/library/x", "tag": null, "digest": null}) == {"x", "docker.io/library/x"}
}

test_scanned_digests if {
	images.scanned_digests == {fx.digest} with input as fx.input_with({})
}

test_no_scanned_image_without_ref if {
	not images.scanned with input as fx.input_with({"image": fx.empty_image})
}

test_deployed_label if {
	subjects := images.deployed with input as fx.input_with({"workloads": [fx.workload("prod-api", [fx.container("api", fx.ref("ghcr.io", "acme/api", "1", null))])]})
	some s in subjects
	s.label == "container 'api' of Deployment prod-api/api"
}

test_workload_label_without_namespace if {
	images.workload_label({"kind": "Pod", "namespace": null, "name": null, "file": "pod.yaml"}) == "Pod pod.yaml"
}

test_runtime_base_from_dockerfile if {
	base := images.runtime_base with input as fx.input_with({"dockerfile": fx.dockerfile({})})
	base.line == 1
	base.ref.name == "gcr.io/distroless/static"
}

test_runtime_base_from_report if {
	base := images.runtime_base with input as fx.input_with({"image": object.union(fx.scanned_image, {"base_image": fx.ref("docker.io", "library/node", "20", null)})})
	base.ref.name == "docker.io/library/node"
}

test_globs_cross_slashes if {
	images.matches_any(["ghcr.io/*"], {"ghcr.io/acme/api"})
	images.matches_any(["*.dkr.ecr.*.amazonaws.com"], {"1234.dkr.ecr.us-east-1.amazonaws.com"})
	not images.matches_any(["gcr.io/*"], {"ghcr.io/acme/api"})
}
