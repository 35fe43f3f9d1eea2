package portcullis.scan.vulnerabilities.denylist_test

import data.portcullis.scan.fixtures_test as fx
import data.portcullis.scan.vulnerabilities

settings := object.union(fx.prod_settings, {"vulnerabilities": {"denylist": ["CVE-2021-44228", {"id": "GHSA-jfh8-c2jp-5v3q", "reason": "Log4Shell"}]}})

test_denylisted_id_denies_whatever_the_severity if {
	v := fx.vuln("CVE-2021-44228", "LOW", "library", null)
	findings := vulnerabilities.vulnerability_denylist with input as fx.input_with({"vulnerabilities": [v]}) with data.portcullis.scan.settings as settings
	some f in findings
	f.enforcement == "deny"
	f.severity == "LOW"
	endswith(f.message, "CVE-2021-44228 is on the vulnerability denylist")
}

test_denylisted_alias_with_reason if {
	v := object.union(fx.vuln("CVE-2021-44228", "CRITICAL", "library", "2.15.0"), {"aliases": ["GHSA-jfh8-c2jp-5v3q"]})
	findings := vulnerabilities.vulnerability_denylist with input as fx.input_with({"vulnerabilities": [v]})
		with data.portcullis.scan.settings as object.union(settings, {"vulnerabilities": {"denylist": [{"id": "GHSA-jfh8-c2jp-5v3q", "reason": "Log4Shell"}]}})
	some f in findings
	endswith(f.message, "GHSA-jfh8-c2jp-5v3q is on the vulnerability denylist: Log4Shell")
}

test_not_denylisted if {
	count(vulnerabilities.vulnerability_denylist) == 0 with input as fx.input_with({"vulnerabilities": [fx.vuln("CVE-1", "CRITICAL", "os", "2")]})
		with data.portcullis.scan.settings as settings
}

test_denylist_supersedes_severity_warning if {
	v := fx.vuln("CVE-2021-44228", "CRITICAL", "library", null)
	count(vulnerabilities.vulnerability_severity) == 0 with input as fx.input_with({"vulnerabilities": [v]}) with data.portcullis.scan.settings as settings
	count(vulnerabilities.vulnerability_age) == 0 with input as fx.input_with({"vulnerabilities": [object.union(v, {"severity": "MEDIUM", "severity_rank": 3, "fixed_version": "2", "fix_available": true})]})
		with data.portcullis.scan.settings as settings
}

test_denylist_warning_is_left_out_when_severity_denies if {
	v := fx.vuln("CVE-2021-44228", "CRITICAL", "library", "2.15.0")
	warn := object.union(settings, {"rules": {"vulnerability_denylist": {"enforcement": "warn"}}})
	count(vulnerabilities.vulnerability_denylist) == 0 with input as fx.input_with({"vulnerabilities": [v]}) with data.portcullis.scan.settings as warn
	fx.ids_of(vulnerabilities.vulnerability_severity) == {"CVE-2021-44228"} with input as fx.input_with({"vulnerabilities": [v]}) with data.portcullis.scan.settings as warn
}

test_denylist_warning_is_left_out_when_age_denies if {
	v := object.union(fx.vuln("CVE-2021-44228", "HIGH", "os", "2"), {"age_days": 100})
	warn := object.union(settings, {"rules": {"vulnerability_denylist": {"enforcement": "warn"}}})
	count(vulnerabilities.vulnerability_denylist) == 0 with input as fx.input_with({"vulnerabilities": [v], "metadata": fx.metadata("dev", null)})
		with data.portcullis.scan.settings as warn
}

test_denylist_off if {
	off := object.union(settings, {"rules": {"vulnerability_denylist": {"enforcement": "off"}}})
	count(vulnerabilities.vulnerability_denylist) == 0 with input as fx.input_with({"vulnerabilities": [fx.vuln("CVE-2021-44228", "LOW", "os", null)]})
		with data.portcullis.scan.settings as off
}
