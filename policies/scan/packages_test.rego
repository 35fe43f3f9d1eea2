package portcullis.scan.packages_test

import data.portcullis.scan.fixtures_test as fx
import data.portcullis.scan.packages

blocked := {"packages": {"blocked": ["telnet", "netcat-*"]}}

pkg(name) := {"name": name, "version": "1.0", "type": "apk", "class": "os", "purl": null, "path": null, "licenses": []}

test_blocked_exact_and_glob if {
	findings := packages.blocked_package with input as fx.input_with({"packages": [pkg("telnet"), pkg("netcat-openbsd"), pkg("curl")]})
		with data.portcullis.scan.settings as blocked
	{f.package | some f in findings} == {"telnet", "netcat-openbsd"}
	some f in findings
	f.package == "telnet"
	f.message == "os package telnet 1.0 is blocked (packages.blocked)"
}

test_blocked_from_vulnerability_packages if {
	v := object.union(fx.vuln("CVE-1", "LOW", "os", null), {"package": pkg("telnet")})
	findings := packages.blocked_package with input as fx.input_with({"vulnerabilities": [v, v]}) with data.portcullis.scan.settings as blocked
	count(findings) == 1
}

test_nothing_blocked_by_default if {
	count(packages.blocked_package) == 0 with input as fx.input_with({"packages": [pkg("telnet")]})
}

test_literal_prefix if {
	packages.literal_prefix("netcat-*") == "netcat-"
	packages.literal_prefix("*ssh*") == ""
}
