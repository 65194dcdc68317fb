import CivilTime
import Foundation
import XCTest

/// Civil time text at UTC (MariaDB's DATETIME, the request log) and at UTC+8 (Alipay, ThreePay's answers).
final class CivilTimeTextTests: XCTestCase {
    private let utc = CivilTimeText.utc
    private let china = CivilTimeText.china

    // MARK: UTC with microseconds, as MariaDB's DATETIME(6) text

    func testKnownInstants() {
        XCTAssertEqual(utc.format(Date(timeIntervalSince1970: 0), fractionDigits: 6), "1970-01-01 00:00:00.000000")
        XCTAssertEqual(utc.format(Date(timeIntervalSince1970: 1_717_214_475.25), fractionDigits: 6), "2024-06-01 04:01:15.250000")
        XCTAssertEqual(utc.format(Date(timeIntervalSince1970: 951_782_400), fractionDigits: 6), "2000-02-29 00:00:00.000000")
        XCTAssertEqual(utc.parse("2024-06-01 04:01:15", maxFractionDigits: 6), Date(timeIntervalSince1970: 1_717_214_475))
        XCTAssertEqual(utc.parse("2024-06-01 04:01:15.5", maxFractionDigits: 6), Date(timeIntervalSince1970: 1_717_214_475.5))
        XCTAssertEqual(utc.parse("1969-12-31 23:59:59", maxFractionDigits: 6), Date(timeIntervalSince1970: -1))
    }

    func testRoundTripAcrossYears() {
        var seconds: Double = -2_000_000_000
        while seconds < 4_000_000_000 {
            let date = Date(timeIntervalSince1970: seconds + 0.123456)
            XCTAssertEqual(utc.parse(utc.format(date, fractionDigits: 6), maxFractionDigits: 6)?.timeIntervalSince1970 ?? 0,
                           date.timeIntervalSince1970, accuracy: 0.000001)
            seconds += 7_777_777
        }
    }

    func testMalformedTextIsRejected() {
        for text in ["", "2024-06-01", "2024-13-01 00:00:00", "2024-06-01 24:00:00", "2024/06/01 00:00:00",
                     "2024-06-01 00:00:00.", "2024-06-01 00:00:00.1234567", "2024-06-01 00:00:0x"] {
            XCTAssertNil(utc.parse(text, maxFractionDigits: 6), text)
        }
    }

    // MARK: UTC+8, as Alipay's timestamps

    func testChinaTimeIsUTCPlusEightWithoutTheHostZone() {
        XCTAssertEqual(china.format(Date(timeIntervalSince1970: 1_717_214_400)), "2024-06-01 12:00:00")
        XCTAssertEqual(china.format(Date(timeIntervalSince1970: 0)), "1970-01-01 08:00:00")
        XCTAssertEqual(china.format(Date(timeIntervalSince1970: -1)), "1970-01-01 07:59:59")
        XCTAssertEqual(china.format(Date(timeIntervalSince1970: 1_709_222_400)), "2024-03-01 00:00:00")
        XCTAssertEqual(china.format(Date(timeIntervalSince1970: 1_709_222_399.9)), "2024-02-29 23:59:59")
        XCTAssertEqual(china.format(Date(timeIntervalSince1970: 1_703_952_000)), "2023-12-31 00:00:00")
        XCTAssertEqual(china.format(Date(timeIntervalSince1970: 4_107_456_000)), "2100-02-28 08:00:00")
    }

    func testChinaTimeAgreesWithFoundationOverManyInstants() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.calendar = Calendar(identifier: .gregorian)
        formatter.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let instant = Date(timeIntervalSince1970: TimeInterval(Int64.random(in: 0...6_000_000_000, using: &generator)))
            XCTAssertEqual(china.format(instant), formatter.string(from: instant))
        }
    }

    // MARK: Calendar edges

    /// Every day of every month from 1896 to 2104 (leap years 1896, 2000, 2024; common 1900, 2100) is accepted
    /// exactly when Foundation's Gregorian calendar has it, and at the instant Foundation computes.
    func testEveryDayIsValidExactlyWhenTheGregorianCalendarHasIt() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try XCTUnwrap(TimeZone(secondsFromGMT: 8 * 3600))
        var accepted = 0
        for year in 1896...2104 {
            for month in 1...12 {
                for day in 1...31 {
                    let text = "\(year)-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day) 12:34:56"
                    let parts = DateComponents(calendar: calendar, year: year, month: month, day: day, hour: 12, minute: 34, second: 56)
                    let expected = parts.isValidDate ? calendar.date(from: parts) : nil
                    XCTAssertEqual(china.parse(text), expected, text)
                    if expected != nil { accepted += 1 }
                }
            }
        }
        XCTAssertEqual(accepted, 209 * 365 + 51, "one day per day of 1896…2104, leap days included")
    }

    func testLeapDays() {
        for leap in ["2000-02-29", "2024-02-29", "1600-02-29", "2400-02-29"] {
            XCTAssertNotNil(china.parse(leap + " 00:00:00"), leap)
        }
        for impossible in ["1900-02-29", "2100-02-29", "2023-02-29", "2024-02-30", "2024-02-31", "2000-02-30"] {
            XCTAssertNil(china.parse(impossible + " 00:00:00"), impossible)
            XCTAssertNil(utc.parse(impossible + " 00:00:00", maxFractionDigits: 6), impossible)
        }
        XCTAssertEqual(utc.format(Date(timeIntervalSince1970: 951_868_799)), "2000-02-29 23:59:59")
        XCTAssertEqual(utc.format(Date(timeIntervalSince1970: 951_868_800)), "2000-03-01 00:00:00")
        XCTAssertEqual(utc.format(Date(timeIntervalSince1970: -2_203_891_200)), "1900-03-01 00:00:00")
        XCTAssertEqual(utc.format(Date(timeIntervalSince1970: -2_203_891_201)), "1900-02-28 23:59:59")
    }

    func testMonthEnds() {
        for last in ["01-31", "03-31", "04-30", "05-31", "06-30", "07-31", "08-31", "09-30", "10-31", "11-30", "12-31"] {
            XCTAssertNotNil(china.parse("2023-\(last) 23:59:59"), last)
        }
        for beyond in ["04-31", "06-31", "09-31", "11-31", "01-32", "12-32", "13-01", "00-10", "05-00"] {
            XCTAssertNil(china.parse("2023-\(beyond) 00:00:00"), beyond)
        }
    }

    /// 2024-01-01 00:00 to 07:59 in China is still 2023 in UTC.
    func testYearBoundaryAcrossTheEightHourOffset() throws {
        let newYearInChina = try XCTUnwrap(china.parse("2024-01-01 00:00:00"))
        XCTAssertEqual(newYearInChina.timeIntervalSince1970, 1_704_038_400)
        XCTAssertEqual(utc.format(newYearInChina), "2023-12-31 16:00:00")
        let lastUTCSecond = try XCTUnwrap(utc.parse("2023-12-31 23:59:59"))
        XCTAssertEqual(china.format(lastUTCSecond), "2024-01-01 07:59:59")
        XCTAssertEqual(china.format(lastUTCSecond.addingTimeInterval(1)), "2024-01-01 08:00:00")
        XCTAssertEqual(utc.format(lastUTCSecond.addingTimeInterval(1)), "2024-01-01 00:00:00")
        XCTAssertEqual(china.format(Date(timeIntervalSince1970: 1_704_038_399)), "2023-12-31 23:59:59")
        XCTAssertEqual(CivilTimeText(utcOffset: -5 * 3600).format(newYearInChina), "2023-12-31 11:00:00")
    }

    func testSecondFiftyNineAndNoLeapSecond() {
        XCTAssertEqual(china.parse("2016-12-31 23:59:59")?.timeIntervalSince1970, 1_483_199_999)
        XCTAssertNil(china.parse("2016-12-31 23:59:60"), "no leap seconds")
        XCTAssertNil(china.parse("2016-12-31 23:60:00"))
        XCTAssertNil(china.parse("2016-12-31 24:00:00"))
        XCTAssertNotNil(china.parse("2016-12-31 00:00:00"))
    }

    func testFractions() throws {
        let instant = Date(timeIntervalSince1970: 1_717_214_475.987654)
        XCTAssertEqual(utc.format(instant, fractionDigits: 6), "2024-06-01 04:01:15.987654")
        XCTAssertEqual(utc.format(instant, fractionDigits: 3, separator: "T"), "2024-06-01T04:01:15.987", "cut, not rounded")
        XCTAssertEqual(utc.format(instant, fractionDigits: 1), "2024-06-01 04:01:15.9")
        XCTAssertEqual(utc.format(instant), "2024-06-01 04:01:15")
        XCTAssertEqual(utc.format(Date(timeIntervalSince1970: -0.25), fractionDigits: 3), "1969-12-31 23:59:59.750")
        XCTAssertEqual(try XCTUnwrap(utc.parse("2024-06-01 04:01:15.000001", maxFractionDigits: 6)).timeIntervalSince1970,
                       1_717_214_475.000001, accuracy: 0.0000005)
        XCTAssertEqual(utc.parse("2024-06-01 04:01:15.12", maxFractionDigits: 6),
                       Date(timeIntervalSince1970: 1_717_214_475.12))
        XCTAssertNil(china.parse("2024-06-01 04:01:15.5"), "no fraction unless asked for")
        XCTAssertNil(utc.parse("2024-06-01 04:01:15.1234", maxFractionDigits: 3))
        XCTAssertNil(utc.parse("2024-06-01 04:01:15,5", maxFractionDigits: 6))
        XCTAssertNil(utc.parse("2024-06-01 04:01:15.5x", maxFractionDigits: 6))
    }

    func testMalformedInputIsRefused() {
        for text in ["2024-06-01T12:00:00", " 2024-06-01 12:00:00", "2024-06-01 12:00:00 ", "2024-6-01 12:00:00",
                     "2024-06-1 12:00:00", "+024-06-01 12:00:00", "2024-06-01 12:00:-1", "2024-06-01 1:00:00",
                     "２０２４-06-01 12:00:00", "2024-06-01\u{0}12:00:00", "2024-06-01 12:00:00\u{0}", "20240601 120000",
                     "2024-06-01  12:00:0", "abcd-ef-gh ij:kl:mn", String(repeating: "9", count: 100_000)] {
            XCTAssertNil(china.parse(text), text.debugDescription)
            XCTAssertNil(utc.parse(text, maxFractionDigits: 6), text.debugDescription)
        }
    }
}
