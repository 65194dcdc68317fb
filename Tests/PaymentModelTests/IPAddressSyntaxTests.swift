import PaymentModel
import XCTest

final class IPAddressSyntaxTests: XCTestCase {
    func testIPv4() {
        for valid in ["0.0.0.0", "10.0.0.8", "202.96.128.68", "255.255.255.255", "1.2.3.4"] {
            XCTAssertTrue(IPAddressSyntax.isIPv4(valid), valid)
        }
        for invalid in ["256.1.1.1", "01.2.3.4", "1.2.3.04", "00.0.0.0", "1.2.3", "1.2.3.4.5", "1.2.3.4.", ".1.2.3.4",
                        "1..2.3", " 1.2.3.4", "1.2.3.4 ", "1.2.3.x", "0x1.2.3.4", "10.1", "", "１.2.3.4"] {
            XCTAssertFalse(IPAddressSyntax.isIPv4(invalid), invalid)
        }
    }

    func testIPv6() {
        for valid in ["::", "::1", "1::", "fe80::1", "2001:DB8:0:0:8:800:200C:417A", "2001:db8::8:800:200c:417a",
                      "::ffff:192.0.2.128", "::192.0.2.128", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8",
                      "1:2:3:4:5:6:1.2.3.4", "0001:0:0:0:0:0:0:1"] {
            XCTAssertTrue(IPAddressSyntax.isIPv6(valid), valid)
        }
        for invalid in [":::", ":1::", "1::2:", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", "1::2::3", "12345::",
                        "fe80::1%eth0", "[::1]", "::1/128", "g::1", "::ffff:01.2.3.4", "::1.2.3", "1:2:3:4:5:6:7:1.2.3.4",
                        "1.2.3.4", ":", "", " ::1"] {
            XCTAssertFalse(IPAddressSyntax.isIPv6(invalid), invalid)
        }
    }

    func testEitherFamily() {
        XCTAssertTrue(IPAddressSyntax.isValid("10.0.0.8"))
        XCTAssertTrue(IPAddressSyntax.isValid("::1"))
        XCTAssertFalse(IPAddressSyntax.isValid("localhost"))
        // C would read only up to the NUL; the whole text must be an address.
        XCTAssertFalse(IPAddressSyntax.isValid("10.0.0.8\u{0}x"))
        XCTAssertFalse(IPAddressSyntax.isValid("::1\u{0}"))
    }
}
