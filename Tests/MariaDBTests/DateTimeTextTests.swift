import Foundation
import MariaDB
import XCTest

/// UTC DATETIME text conversion (pure, no server).
final class DateTimeTextTests: XCTestCase {
    func testKnownInstants() {
        XCTAssertEqual(DateTimeText.format(Date(timeIntervalSince1970: 0)), "1970-01-01 00:00:00.000000")
        XCTAssertEqual(DateTimeText.format(Date(timeIntervalSince1970: 1_717_214_475.25)), "2024-06-01 04:01:15.250000")
        XCTAssertEqual(DateTimeText.format(Date(timeIntervalSince1970: 951_782_400)), "2000-02-29 00:00:00.000000")
        XCTAssertEqual(DateTimeText.parse("2024-06-01 04:01:15"), Date(timeIntervalSince1970: 1_717_214_475))
        XCTAssertEqual(DateTimeText.parse("2024-06-01 04:01:15.5"), Date(timeIntervalSince1970: 1_717_214_475.5))
        XCTAssertEqual(DateTimeText.parse("1969-12-31 23:59:59"), Date(timeIntervalSince1970: -1))
    }

    func testRoundTripAcrossYears() {
        var seconds: Double = -2_000_000_000
        while seconds < 4_000_000_000 {
            let date = Date(timeIntervalSince1970: seconds + 0.123456)
            XCTAssertEqual(DateTimeText.parse(DateTimeText.format(date))?.timeIntervalSince1970 ?? 0,
                           date.timeIntervalSince1970, accuracy: 0.000001)
            seconds += 7_777_777
        }
    }

    func testMalformedTextIsRejected() {
        for text in ["", "2024-06-01", "2024-13-01 00:00:00", "2024-06-01 24:00:00", "2024/06/01 00:00:00",
                     "2024-06-01 00:00:00.", "2024-06-01 00:00:00.1234567", "2024-06-01 00:00:0x"] {
            XCTAssertNil(DateTimeText.parse(text), text)
        }
    }
}
