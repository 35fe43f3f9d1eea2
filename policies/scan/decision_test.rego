package portcullis.scan.decision_test

import data.portcullis.scan
import data.portcullis.scan.config
import data.portcullis.scan.fixtures_test as fx

test_clean_input_is_allowed if {
	d := scan.decision with input as fx.input_with({})
	d == {"decision": "allow", "violations": [], "warnings": [], "exceptions": [], "expired_exceptions": []}
}

test_violations_deny_and_come_worst_first if {
	vulns := [fx.vuln("CVE-2", "HIGH", "os", "2.0"), fx.vuln("CVE-1", "CRITICAL", "os", "2.0"), fx.vuln("CVE-3", "MEDIUM", "os", "2.0")]
	image := object.union(fx.scanned_image, {"exposed_ports": [22]})
	d := scan.decision with input as fx.input_with({"vulnerabilities": vulns, "image": image})
		with data.portcullis.scan.settings as fx.prod_settings
	d.decision == "deny"
	[[f.rule, f.severity] | some f in d.violations] == [
		["vulnerability_severity", "CRITICAL"],
		["vulnerability_severity", "HIGH"],
		["forbidden_port", "MEDIUM"],
	]
	[f.id | some f in d.warnings] == ["CVE-3"]
}

test_warnings_alone_allow if {
	image := object.union(fx.scanned_image, {"size_bytes": 10})
	d := scan.decision with input as fx.input_with({"image": image})
		with data.portcullis.scan.settings as {"image_config": {"max_size_bytes": 1}}
	d.decision == "allow"
	[f.rule | some f in d.warnings] == ["image_size"]
}

test_team_starts_in_warn_mode if {
	image := object.union(fx.scanned_image, {"exposed_ports": [22], "user": "root", "runs_as_root": true})
	settings := {"rules": {"forbidden_port": {"enforcement": "warn"}, "run_as_root": {"enforcement": "warn"}}}
	d := scan.decision with input as fx.input_with({"image": image}) with data.portcullis.scan.settings as settings
	d.decision == "allow"
	count(d.warnings) == 2
}

test_a_package_at_several_paths_is_one_finding if {
	v := fx.vuln("CVE-1", "HIGH", "os", "2.0")
	moved := object.union(v, {"package": object.union(v.package, {"path": "/other"})})
	vulns := [v, fx.vuln("CVE-2", "HIGH", "os", "2.0"), moved, v]
	findings := scan.findings with input as fx.input_with({"vulnerabilities": vulns})
		with data.portcullis.scan.settings as fx.prod_settings
	[f.id | some f in findings] == ["CVE-1", "CVE-2"]
}

test_findings_order_is_by_rule_then_message if {
	vulns := [fx.vuln("CVE-2", "HIGH", "os", "2.0"), fx.vuln("CVE-1", "HIGH", "os", "2.0")]
	findings := scan.findings with input as fx.input_with({"vulnerabilities": vulns})
		with data.portcullis.scan.settings as fx.prod_settings
	[f.id | some f in findings] == ["CVE-1", "CVE-2"]
}

test_findings_order_is_worst_first_then_gates_then_rules if {
	aged := object.union(fx.vuln("CVE-4", "MEDIUM", "os", "2.0"), {"age_days": 400})
	vulns := [aged, fx.vuln("CVE-3", "HIGH", "os", "2.0"), fx.vuln("CVE-2", "CRITICAL", "os", null)]
	image := object.union(fx.scanned_image, {"exposed_ports": [22], "user": "root", "runs_as_root": true})
	findings := scan.findings with input as fx.input_with({"vulnerabilities": vulns, "image": image})
		with data.portcullis.scan.settings as fx.prod_settings
	[[f.severity, f.rule] | some f in findings] == [
		["CRITICAL", "vulnerability_severity"],
		["HIGH", "vulnerability_severity"],
		["HIGH", "run_as_root"],
		["MEDIUM", "vulnerability_age"],
		["MEDIUM", "forbidden_port"],
	]
}

# order_prefix spells config.severity_rank backwards, so that sorting strings puts the most severe first.
test_order_prefix_follows_severity_rank if {
	count(scan.order_prefix) == count(config.severity_rank)
	every name, rank in config.severity_rank {
		scan.order_prefix[name] == format_int(5 - rank, 10)
	}
}

test_given_report_entries_decide_as_the_whole_input if {
	aged := object.union(fx.vuln("CVE-4", "MEDIUM", "os", "2.0"), {"age_days": 400})
	vulns := [aged, fx.vuln("CVE-3", "HIGH", "os", "2.0")]
	workloads := [fx.workload("prod-api", [fx.container("api", fx.ref("ghcr.io", "acme/api", "1", null))])]
	whole := fx.input_with({"vulnerabilities": vulns, "workloads": workloads})
	given := scan.report_entries with input as object.remove(whole, ["workloads", "now"])
		with data.portcullis.scan.settings as fx.prod_settings
	computed := scan.decision with input as whole with data.portcullis.scan.settings as fx.prod_settings
	decided := scan.decision with input as object.union(whole, {"report_entries": given})
		with data.portcullis.scan.settings as fx.prod_settings
	decided == computed
	rules := {f.rule | some f in array.concat(computed.violations, computed.warnings)}
	{"vulnerability_severity", "require_digest"} - rules == set()
}

test_given_report_entries_stand_in_for_the_report if {
	finding := {"rule": "vulnerability_severity", "severity": "HIGH", "enforcement": "deny", "message": "given", "id": "CVE-9"}
	d := scan.decision with input as object.union(fx.input_with({}), {"report_entries": [["10vulnerability_severity given", finding]]})
	[f.id | some f in d.violations] == ["CVE-9"]
}

test_admission_verdict_is_the_decisions_messages if {
	vulns := [fx.vuln("CVE-3", "HIGH", "os", "2.0"), fx.vuln("CVE-5", "MEDIUM", "os", "2.0")]
	workloads := [fx.workload("prod-api", [fx.container("api", fx.ref("ghcr.io", "acme/api", "1", null))])]
	whole := fx.input_with({"vulnerabilities": vulns, "workloads": workloads})
	expired := {"id": "CVE-3", "reason": "patched upstream", "expires": "2026-11-27"}
	settings := object.union(fx.prod_settings, {"exceptions": [expired]})
	d := scan.decision with input as whole with data.portcullis.scan.settings as settings
	v := scan.admission_verdict with input as whole with data.portcullis.scan.settings as settings
	v.reasons == [f.message | some f in d.violations]
	v.warnings == [f.message | some f in d.warnings]
	v.expired_exceptions == d.expired_exceptions
	count(v.reasons) > 0
	count(v.warnings) > 0
	[e.id | some e in v.expired_exceptions] == ["CVE-3"]
}
