package portcullis.scan.vulnerabilities.common_test

import data.portcullis.scan.fixtures_test as fx
import data.portcullis.scan.vulnerabilities

test_covers_class_severity_and_fix if {
	vulnerabilities.covers({"severity": "HIGH"}, "os", false, 4)
	vulnerabilities.covers({"severity": "HIGH", "package_class": "library"}, "library", true, 5)
	not vulnerabilities.covers({"severity": "HIGH", "package_class": "library"}, "os", true, 5)
	not vulnerabilities.covers({"severity": "HIGH"}, "os", true, 3)
	not vulnerabilities.covers({"severity": "LOW", "ignore_unfixed": true}, "os", false, 5)
}

test_describe if {
	vulnerabilities.describe(fx.vuln("CVE-1", "HIGH", "os", "2.0")) == "CVE-1 (HIGH) in os package pkg-high-os 1.0.0, fixed in 2.0"
	vulnerabilities.describe(fx.vuln("CVE-1", "HIGH", "library", null)) == "CVE-1 (HIGH) in library package pkg-high-library 1.0.0, no fix available"
	fixed_without_version := object.union(fx.vuln("CVE-1", "LOW", "os", null), {"fix_available": true})
	endswith(vulnerabilities.describe(fixed_without_version), ", fix available")
}
