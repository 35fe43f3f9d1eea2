package portcullis.scan.dockerfile_test

import data.portcullis.scan.dockerfile
import data.portcullis.scan.fixtures_test as fx

add_url := {"line": 4, "stage": 0, "url": "https://example.com/tool.tgz"}

test_add_from_url if {
	findings := dockerfile.add_from_url with input as fx.input_with({"dockerfile": fx.dockerfile({"adds_from_url": [add_url]})})
	some f in findings
	f.location == {"file": "Dockerfile", "line": 4}
	f.message == "ADD at line 4 downloads https://example.com/tool.tgz without verifying it"
}

test_add_with_checksum_is_fine if {
	instruction := {"line": 4, "end_line": 4, "stage": 0, "instruction": "ADD", "args": "", "arguments": [], "flags": {"checksum": "sha256:abc"}, "json": false}
	df := fx.dockerfile({"adds_from_url": [add_url], "instructions": [instruction]})
	count(dockerfile.add_from_url) == 0 with input as fx.input_with({"dockerfile": df})
}

test_no_dockerfile_no_findings if {
	count(dockerfile.findings) == 0 with input as fx.input_with({})
}

copy(sources, sensitive) := {"line": 3, "stage": 0, "instruction": "COPY", "sources": sources, "destination": "/app", "from": null, "sensitive_sources": sensitive}

test_sensitive_source_flagged_by_input if {
	findings := dockerfile.sensitive_file_copy with input as fx.input_with({"dockerfile": fx.dockerfile({"copies": [copy(["id_rsa", "src"], ["id_rsa"])]})})
	some f in findings
	f.message == "COPY at line 3 copies sensitive files into the image: id_rsa"
	f.location.line == 3
}

test_sensitive_source_from_settings if {
	df := fx.dockerfile({"copies": [copy(["config/prod.pem", "src/"], [])]})
	count(dockerfile.sensitive_file_copy) == 0 with input as fx.input_with({"dockerfile": df})
	findings := dockerfile.sensitive_file_copy with input as fx.input_with({"dockerfile": df})
		with data.portcullis.scan.settings as {"dockerfile": {"sensitive_files": ["*.pem"]}}
	some f in findings
	endswith(f.message, "config/prod.pem")
}

test_sensitive_base_name_glob if {
	df := fx.dockerfile({"copies": [copy(["deploy/.npmrc"], [])]})
	count(dockerfile.sensitive_file_copy) == 1 with input as fx.input_with({"dockerfile": df})
		with data.portcullis.scan.settings as {"dockerfile": {"sensitive_files": [".npmrc"]}}
}

test_sensitive_copy_off if {
	count(dockerfile.sensitive_file_copy) == 0 with input as fx.input_with({"dockerfile": fx.dockerfile({"copies": [copy(["id_rsa"], ["id_rsa"])]})})
		with data.portcullis.scan.settings as {"rules": {"sensitive_file_copy": {"enforcement": "off"}}}
}

instruction(keyword, line, exec_form) := {"line": line, "end_line": line, "stage": 0, "instruction": keyword, "args": "", "arguments": [], "flags": {}, "json": exec_form}

add(sources) := {"line": 6, "stage": 0, "instruction": "ADD", "sources": sources, "destination": "/app/", "from": null, "sensitive_sources": []}

test_add_plain_files_should_be_copy if {
	findings := dockerfile.add_instead_of_copy with input as fx.input_with({"dockerfile": fx.dockerfile({"copies": [add(["config.yaml", "vendor.tar.gz"])]})})
	some f in findings
	f.message == "ADD at line 6 copies config.yaml: use COPY"
	f.enforcement == "warn"
}

test_add_of_archives_and_urls_is_not_a_copy if {
	df := fx.dockerfile({"copies": [add(["rootfs.tar.xz", "https://example.com/a.txt"])]})
	count(dockerfile.add_instead_of_copy) == 0 with input as fx.input_with({"dockerfile": df})
}

run(command) := {"line": 9, "stage": 0, "command": command}

test_download_piped_into_a_shell if {
	piped := [
		"curl -fsSL https://get.example.com | sh",
		"wget -qO- https://example.com/install.sh | sudo -E bash -s -- --yes",
		"apt-get update && curl https://x.example | /bin/bash",
	]
	every command in piped {
		count(dockerfile.pipe_to_shell) == 1 with input as fx.input_with({"dockerfile": fx.dockerfile({"runs": [run(command)]})})
	}
}

test_download_verified_before_running_is_fine if {
	fine := [
		"curl -fsSLo install.sh https://get.example.com && sha256sum -c install.sha256 && sh install.sh",
		"curl -s https://example.com/data.json | jq .version",
		"echo hi | shasum",
	]
	every command in fine {
		count(dockerfile.pipe_to_shell) == 0 with input as fx.input_with({"dockerfile": fx.dockerfile({"runs": [run(command)]})})
	}
}

test_sudo_in_run if {
	findings := dockerfile.sudo_in_run with input as fx.input_with({"dockerfile": fx.dockerfile({"runs": [run("apt-get update && sudo apt-get install -y curl")]})})
	some f in findings
	f.message == "RUN at line 9 uses sudo"
	count(dockerfile.sudo_in_run) == 0 with input as fx.input_with({"dockerfile": fx.dockerfile({"runs": [run("apt-get install -y pseudo-tool")]})})
}

test_shell_form_entrypoint_in_the_final_stage if {
	df := fx.dockerfile({"instructions": [instruction("ENTRYPOINT", 7, false), instruction("CMD", 8, true)]})
	findings := dockerfile.shell_form_entrypoint with input as fx.input_with({"dockerfile": df})
	[f.message | some f in findings] == ["ENTRYPOINT at line 7 is in shell form; use the JSON array form"]
}

test_shell_form_in_a_builder_stage_is_fine if {
	builder := object.union(instruction("CMD", 3, false), {"stage": 0})
	df := fx.dockerfile({"instructions": [builder], "final_stage": 1})
	count(dockerfile.shell_form_entrypoint) == 0 with input as fx.input_with({"dockerfile": df})
}
