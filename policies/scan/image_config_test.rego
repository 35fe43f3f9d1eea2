package portcullis.scan.image_config_test

import data.portcullis.scan.fixtures_test as fx
import data.portcullis.scan.image_config

root_image(user) := object.union(fx.scanned_image, {"user": user, "runs_as_root": true})

test_image_user_root if {
	findings := image_config.run_as_root with input as fx.input_with({"image": root_image("root")})
	some f in findings
	f.message == "image 'ghcr.io/acme/api:1.4.2' runs as root (user 'root')"
}

test_image_without_user if {
	findings := image_config.run_as_root with input as fx.input_with({"image": root_image(null)})
	some f in findings
	endswith(f.message, "(no user set)")
}

test_non_root_image_and_unknown_user_pass if {
	count(image_config.run_as_root) == 0 with input as fx.input_with({})
	count(image_config.run_as_root) == 0 with input as fx.input_with({"image": object.union(fx.scanned_image, {"runs_as_root": null})})
}

test_dockerfile_without_user if {
	df := fx.dockerfile({"users": [], "final_user": null, "runs_as_root": true})
	findings := image_config.run_as_root with input as fx.input_with({"dockerfile": df})
	some f in findings
	f.location == {"file": "Dockerfile", "line": 1}
	contains(f.message, "sets no USER")
}

test_dockerfile_user_zero_points_at_user_line if {
	df := fx.dockerfile({"users": [{"line": 4, "stage": 0, "user": "app"}, {"line": 9, "stage": 0, "user": "0"}], "final_user": "0", "runs_as_root": true})
	findings := image_config.run_as_root with input as fx.input_with({"dockerfile": df})
	some f in findings
	f.location.line == 9
	f.message == "USER 0 at line 9 runs the container as root"
}

test_dockerfile_non_root if {
	count(image_config.run_as_root) == 0 with input as fx.input_with({"dockerfile": fx.dockerfile({})})
}

test_container_run_as_user_zero if {
	c := fx.container("api", fx.ref("ghcr.io", "acme/api", "1", null))
	root := object.union(c, {"security_context": {"run_as_user": 0}})
	findings := image_config.run_as_root with input as fx.input_with({"workloads": [fx.workload("prod", [root, c])]})
	count(findings) == 1
	some f in findings
	f.message == "container 'api' of Deployment prod/api sets runAsUser 0"
}

test_run_as_root_warn_mode if {
	findings := image_config.run_as_root with input as fx.input_with({"image": root_image("0")})
		with data.portcullis.scan.settings as {"rules": {"run_as_root": {"enforcement": "warn"}}}
	{f.enforcement | some f in findings} == {"warn"}
}

test_image_exposes_ssh if {
	findings := image_config.forbidden_port with input as fx.input_with({"image": object.union(fx.scanned_image, {"exposed_ports": [22, 8080]})})
	count(findings) == 1
}

test_dockerfile_port_range if {
	df := fx.dockerfile({"exposed_ports": [{"line": 6, "stage": 0, "text": "20-25/tcp", "port": 20, "end_port": 25, "protocol": "tcp"}, {"line": 7, "stage": 0, "text": "8080", "port": 8080, "end_port": 8080, "protocol": "tcp"}]})
	findings := image_config.forbidden_port with input as fx.input_with({"dockerfile": df})
	count(findings) == 1
	some f in findings
	f.message == "EXPOSE 20-25/tcp at line 6 exposes forbidden port 22"
	f.location.line == 6
}

test_forbidden_ports_configurable if {
	image := object.union(fx.scanned_image, {"exposed_ports": [22, 3389]})
	findings := image_config.forbidden_port with input as fx.input_with({"image": image})
		with data.portcullis.scan.settings as {"image_config": {"forbidden_ports": [3389]}}
	count(findings) == 1
	some f in findings
	endswith(f.message, "3389")
}

test_image_size if {
	image := object.union(fx.scanned_image, {"size_bytes": 2000})
	count(image_config.image_size) == 0 with input as fx.input_with({"image": image})
	findings := image_config.image_size with input as fx.input_with({"image": image})
		with data.portcullis.scan.settings as {"image_config": {"max_size_bytes": 1000}}
	some f in findings
	f.enforcement == "warn"
	f.message == "image 'ghcr.io/acme/api:1.4.2' is 2000 bytes, more than the 1000 allowed"
	count(image_config.image_size) == 0 with input as fx.input_with({"image": image})
		with data.portcullis.scan.settings as {"image_config": {"max_size_bytes": 5000}}
}

test_findings_union if {
	fx.rules_of(image_config.findings) == {"run_as_root", "forbidden_port"} with input as fx.input_with({"image": object.union(root_image("root"), {"exposed_ports": [22]})})
}
