package portcullis.scan.vulnerabilities.age_test

import data.portcullis.scan.fixtures_test as fx
import data.portcullis.scan.vulnerabilities

aged(id, severity, fixed, days) := object.union(fx.vuln(id, severity, "os", fixed), {"age_days": days})

test_prod_warns_on_overdue_fixable_medium if {
	findings := vulnerabilities.vulnerability_age with input as fx.input_with({"vulnerabilities": [aged("CVE-1", "MEDIUM", "2.0", 91), aged("CVE-2", "MEDIUM", "2.0", 90), aged("CVE-3", "MEDIUM", null, 400)]})
		with data.portcullis.scan.settings as fx.prod_settings
	fx.ids_of(findings) == {"CVE-1"}
	some f in findings
	f.enforcement == "warn"
	contains(f.message, "published 91 days ago, more than the 90 days allowed")
}

test_severity_warning_supersedes_age_warning if {
	settings := {
		"default_environment": "x",
		"environments": [{
			"name": "x",
			"vulnerability_severity": [{"severity": "HIGH", "enforcement": "warn"}],
			"vulnerability_age": [{"severity": "LOW", "max_age_days": 30, "enforcement": "warn"}],
		}],
	}
	input_doc := fx.input_with({"vulnerabilities": [aged("CVE-1", "HIGH", "2.0", 31), aged("CVE-2", "LOW", "2.0", 31)]})
	fx.ids_of(vulnerabilities.vulnerability_age) == {"CVE-2"} with input as input_doc with data.portcullis.scan.settings as settings
	fx.ids_of(vulnerabilities.vulnerability_severity) == {"CVE-1"} with input as input_doc with data.portcullis.scan.settings as settings
}

test_severity_denial_supersedes_age if {
	count(vulnerabilities.vulnerability_age) == 0 with input as fx.input_with({"vulnerabilities": [aged("CVE-1", "HIGH", "2.0", 400)]})
		with data.portcullis.scan.settings as fx.prod_settings
}

test_dev_denies_high_older_than_30_days if {
	input_doc := fx.input_with({"vulnerabilities": [aged("CVE-1", "HIGH", "2.0", 31), aged("CVE-2", "HIGH", "2.0", 29)], "metadata": fx.metadata("dev", null)})
	findings := vulnerabilities.vulnerability_age with input as input_doc with data.portcullis.scan.settings as fx.prod_settings
	fx.ids_of(findings) == {"CVE-1"}
	some f in findings
	f.enforcement == "deny"

	# the severity warning about CVE-1 is left out: the age gate denies it
	severity := vulnerabilities.vulnerability_severity with input as input_doc with data.portcullis.scan.settings as fx.prod_settings
	fx.ids_of(severity) == {"CVE-2"}
}

test_no_published_date_is_not_aged if {
	count(vulnerabilities.vulnerability_age) == 0 with input as fx.input_with({"vulnerabilities": [aged("CVE-1", "MEDIUM", "2.0", null)]})
		with data.portcullis.scan.settings as fx.prod_settings
}

test_age_rule_in_warn_mode if {
	settings := {
		"rules": {"vulnerability_age": {"enforcement": "warn"}},
		"default_environment": "x",
		"environments": [{"name": "x", "vulnerability_age": [{"severity": "LOW", "max_age_days": 30}]}],
	}
	findings := vulnerabilities.vulnerability_age with input as fx.input_with({"vulnerabilities": [aged("CVE-1", "HIGH", "2.0", 31)]})
		with data.portcullis.scan.settings as settings
	{f.enforcement | some f in findings} == {"warn"}
}

test_age_off if {
	settings := object.union(fx.prod_settings, {"rules": {"vulnerability_age": {"enforcement": "off"}}})
	count(vulnerabilities.vulnerability_age) == 0 with input as fx.input_with({"vulnerabilities": [aged("CVE-1", "MEDIUM", "2.0", 400)]})
		with data.portcullis.scan.settings as settings
}
