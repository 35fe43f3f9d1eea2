package portcullis.scan.vulnerabilities.severity_test

import data.portcullis.scan.fixtures_test as fx
import data.portcullis.scan.vulnerabilities

vulns := [
	fx.vuln("CVE-1", "CRITICAL", "os", "2.0"),
	fx.vuln("CVE-2", "HIGH", "os", "2.0"),
	fx.vuln("CVE-3", "HIGH", "os", null),
	fx.vuln("CVE-4", "HIGH", "library", "2.0"),
	fx.vuln("CVE-5", "CRITICAL", "library", "2.0"),
	fx.vuln("CVE-6", "CRITICAL", "library", null),
	fx.vuln("CVE-7", "MEDIUM", "os", "2.0"),
]

evaluate(environment, namespace) := findings if {
	findings := vulnerabilities.vulnerability_severity with input as fx.input_with({"vulnerabilities": vulns, "metadata": fx.metadata(environment, namespace)})
		with data.portcullis.scan.settings as fx.prod_settings
}

by_mode(findings, mode) := {f.id | some f in findings; f.enforcement == mode}

test_dev_age_denial_supersedes_severity_warnings if {
	count(evaluate("dev", null)) == 0
}

test_prod_os_and_library_thresholds_differ if {
	findings := evaluate("prod", null)

	# os: fixable HIGH and above; library: fixable CRITICAL only; unfixable CRITICAL warns
	by_mode(findings, "deny") == {"CVE-1", "CVE-2", "CVE-5"}
	by_mode(findings, "warn") == {"CVE-6"}
}

test_namespace_pattern_selects_prod if {
	evaluate(null, "prod-payments") == evaluate("prod", null)
}

test_dev_only_warns if {
	# recent vulnerabilities: the dev age gate (HIGH older than 30 days) does not deny them
	recent := [object.union(v, {"age_days": 5}) | some v in vulns]
	findings := vulnerabilities.vulnerability_severity with input as fx.input_with({"vulnerabilities": recent, "metadata": fx.metadata("dev", null)})
		with data.portcullis.scan.settings as fx.prod_settings
	by_mode(findings, "deny") == set()
	by_mode(findings, "warn") == {"CVE-1", "CVE-2", "CVE-3", "CVE-4", "CVE-5", "CVE-6"}
}

test_finding_shape if {
	findings := evaluate("prod", null)
	some f in findings
	f.id == "CVE-2"
	f == {
		"rule": "vulnerability_severity",
		"message": "CVE-2 (HIGH) in os package pkg-high-os 1.0.0, fixed in 2.0: at or above the HIGH threshold (environment 'prod')",
		"severity": "HIGH",
		"enforcement": "deny",
		"id": "CVE-2",
		"package": "pkg-high-os",
		"installed_version": "1.0.0",
		"fixed_version": "2.0",
		"image": "ghcr.io/acme/api:1.4.2",
	}
}

test_unfixed_finding_has_no_fixed_version if {
	findings := evaluate("prod", null)
	some f in findings
	f.id == "CVE-6"
	not f.fixed_version
	endswith(f.message, "no fix available: at or above the CRITICAL threshold (environment 'prod')")
}

test_not_affected_is_ignored_fixed_is_not if {
	v := object.union(fx.vuln("CVE-9", "CRITICAL", "os", "2.0"), {"status": "not_affected"})
	count(vulnerabilities.vulnerability_severity) == 0 with input as fx.input_with({"vulnerabilities": [v]})
		with data.portcullis.scan.settings as fx.prod_settings
	count(vulnerabilities.vulnerability_severity) == 1 with input as fx.input_with({"vulnerabilities": [fx.vuln("CVE-9", "CRITICAL", "os", "2.0")]})
		with data.portcullis.scan.settings as fx.prod_settings
}

test_ignore_statuses_is_configurable if {
	v := object.union(fx.vuln("CVE-9", "CRITICAL", "os", null), {"status": "will_not_fix"})
	settings := object.union(fx.prod_settings, {"vulnerabilities": {"ignore_statuses": ["not_affected", "will_not_fix"]}})
	count(vulnerabilities.vulnerability_severity) == 0 with input as fx.input_with({"vulnerabilities": [v]})
		with data.portcullis.scan.settings as settings
}

test_rule_in_warn_mode_never_denies if {
	settings := object.union(fx.prod_settings, {"rules": {"vulnerability_severity": {"enforcement": "warn"}}})
	findings := vulnerabilities.vulnerability_severity with input as fx.input_with({"vulnerabilities": vulns, "metadata": fx.metadata("prod", null)})
		with data.portcullis.scan.settings as settings
	{f.enforcement | some f in findings} == {"warn"}
}

test_rule_off if {
	settings := object.union(fx.prod_settings, {"rules": {"vulnerability_severity": {"enforcement": "off"}}})
	count(vulnerabilities.vulnerability_severity) == 0 with input as fx.input_with({"vulnerabilities": vulns})
		with data.portcullis.scan.settings as settings
}

test_no_thresholds_no_findings if {
	count(vulnerabilities.vulnerability_severity) == 0 with input as fx.input_with({"vulnerabilities": vulns})
}

test_duplicate_paths_give_one_finding if {
	v := fx.vuln("CVE-2", "HIGH", "os", "2.0")
	moved := object.union(v, {"package": object.union(v.package, {"path": "/other"})})
	count(vulnerabilities.vulnerability_severity) == 1 with input as fx.input_with({"vulnerabilities": [v, moved]})
		with data.portcullis.scan.settings as fx.prod_settings
}

test_missing_image_ref_is_left_out if {
	findings := vulnerabilities.vulnerability_severity with input as fx.input_with({"vulnerabilities": [fx.vuln("CVE-2", "HIGH", "os", "2.0")], "image": fx.empty_image})
		with data.portcullis.scan.settings as fx.prod_settings
	some f in findings
	not f.image
}
