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
