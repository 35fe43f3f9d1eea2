package portcullis.scan.exceptions_test

import data.portcullis.scan
import data.portcullis.scan.fixtures_test as fx

vulns := [fx.vuln("CVE-1", "CRITICAL", "os", "2.0"), fx.vuln("CVE-2", "HIGH", "os", "2.0")]

with_exceptions(exceptions) := object.union(fx.prod_settings, {"exceptions": exceptions})

decide(exceptions, fields) := d if {
	d := scan.decision with input as fx.input_with(object.union({"vulnerabilities": vulns}, fields))
		with data.portcullis.scan.settings as with_exceptions(exceptions)
}

cve1 := {"id": "CVE-1", "reason": "mitigated by network policy", "expires": "2026-12-31"}

test_exception_by_id_suppresses_and_is_listed if {
	d := decide([cve1], {})
	fx.ids_of(d.violations) == {"CVE-2"}
	count(d.exceptions) == 1
	some e in d.exceptions
	e.rule == "*"
	e.id == "CVE-1"
	e.reason == "mitigated by network policy"
	e.expires == "2026-12-31"
	e.finding.id == "CVE-1"
	e.finding.rule == "vulnerability_severity"
	d.expired_exceptions == []
}

test_exception_applies_through_its_expiry_day if {
	d := decide([object.union(cve1, {"expires": "2026-11-28"})], {})
	fx.ids_of(d.violations) == {"CVE-2"}
}

test_expired_exception_stops_applying_and_is_reported if {
	d := decide([object.union(cve1, {"expires": "2026-11-27"})], {})
	fx.ids_of(d.violations) == {"CVE-1", "CVE-2"}
	d.exceptions == []
	d.expired_exceptions == [{"rule": "*", "id": "CVE-1", "reason": "mitigated by network policy", "expires": "2026-11-27"}]
}

test_expired_exception_that_matches_nothing_is_not_reported if {
	d := decide([{"id": "CVE-404", "reason": "r", "expires": "2020-01-01"}], {})
	d.expired_exceptions == []
}

test_package_mismatch if {
	d := decide([object.union(cve1, {"package": "openssl"})], {})
	fx.ids_of(d.violations) == {"CVE-1", "CVE-2"}
}

test_package_match if {
	d := decide([object.union(cve1, {"package": "pkg-critical-os"})], {})
	fx.ids_of(d.violations) == {"CVE-2"}
}

test_rule_mismatch if {
	d := decide([object.union(cve1, {"rule": "vulnerability_age"})], {})
	fx.ids_of(d.violations) == {"CVE-1", "CVE-2"}
}

test_image_glob_on_any_spelling if {
	d := decide([object.union(cve1, {"image": "ghcr.io/acme/*"})], {})
	fx.ids_of(d.violations) == {"CVE-2"}
	e := decide([object.union(cve1, {"image": "docker.io/*"})], {})
	fx.ids_of(e.violations) == {"CVE-1", "CVE-2"}
}

test_namespace_glob if {
	exception := object.union(cve1, {"namespace": "prod-*"})
	d := decide([exception], {"metadata": fx.metadata(null, "prod-payments")})
	fx.ids_of(d.violations) == {"CVE-2"}
	e := decide([exception], {"metadata": fx.metadata(null, "team-a")})
	fx.ids_of(e.violations) == {"CVE-1", "CVE-2"}

	# no namespace known: a namespaced exception does not apply
	n := decide([exception], {})
	fx.ids_of(n.violations) == {"CVE-1", "CVE-2"}
}

test_exception_without_id_by_rule_and_image if {
	root := object.union(fx.scanned_image, {"user": "root", "runs_as_root": true})
	exception := {"rule": "run_as_root", "image": "ghcr.io/acme/api:*", "reason": "legacy", "expires": "2027-01-01"}
	d := decide([exception], {"image": root, "vulnerabilities": []})
	d.decision == "allow"
	some e in d.exceptions
	e.finding.rule == "run_as_root"
	not e.id
}

test_one_exception_several_findings if {
	d := decide([{"package": "pkg-critical-os", "reason": "r", "expires": "2027-01-01"}, {"package": "pkg-high-os", "reason": "r", "expires": "2027-01-01"}], {})
	d.decision == "allow"
	count(d.exceptions) == 2
}

test_image_exception_covers_the_dockerfile_of_that_image if {
	df := fx.dockerfile({"adds_from_url": [{"line": 4, "stage": 0, "url": "https://example.com/x.tgz"}]})
	exception := {"rule": "add_from_url", "image": "ghcr.io/acme/api:*", "reason": "vendored tool", "expires": "2027-01-01"}
	d := decide([exception], {"dockerfile": df, "vulnerabilities": []})
	d.decision == "allow"
	some e in d.exceptions
	e.finding.location == {"file": "Dockerfile", "line": 4}

	# without a report naming the image, Dockerfile findings have no image to match
	n := decide([exception], {"dockerfile": df, "vulnerabilities": [], "image": fx.empty_image})
	[f.rule | some f in n.violations] == ["add_from_url"]
	some f in n.violations
	not f.image
}

test_exception_without_reason_or_valid_expiry_never_applies if {
	d := decide([{"id": "CVE-1", "reason": "", "expires": "2027-01-01"}, {"id": "CVE-1", "reason": "r"}, {"id": "CVE-1", "reason": "r", "expires": "soon"}], {})
	fx.ids_of(d.violations) == {"CVE-1", "CVE-2"}
	d.exceptions == []
	d.expired_exceptions == []
}
