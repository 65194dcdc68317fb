@testable import ThreePayApp
import XCTest

/// The KEY=VALUE file (systemd's EnvironmentFile= format) as `EnvironmentFile` reads it.
final class EnvironmentFileTests: XCTestCase {
    private func entries(_ text: String, line: UInt = #line) -> [String: String] {
        switch EnvironmentFile.parse(text) {
        case .success(let pairs):
            return Dictionary(pairs, uniquingKeysWith: { _, later in later })
        case .failure(let error):
            XCTFail("\(error)", line: line)
            return [:]
        }
    }

    func testAssignmentsCommentsQuotesAndExport() {
        let text = [
            "# ThreePay", "; also a comment", "", "   ",
            "THREEPAY_WORKERS=8",
            "  THREEPAY_MAX_BODY = 2048  ",
            "export THREEPAY_DB_USER=pay",
            "THREEPAY_DB_NAME='single quoted # not a comment'",
            #"THREEPAY_DEFAULT_CLIENT_IP="10.0.0.1""#,
            #"THREEPAY_ALIPAY_SELLER_ID="line\none \"quoted\"""#,
            "THREEPAY_ALIPAY_NOTIFY_URL=https://pay.example.com/n?a=b=c",
            "THREEPAY_DB_PASSWORD=",
            "THREEPAY_WORKERS=9",
        ].joined(separator: "\r\n")
        let found = entries(text)
        XCTAssertEqual(found["THREEPAY_WORKERS"], "9", "the later assignment wins; CR LF line ends are accepted")
        XCTAssertEqual(found["THREEPAY_MAX_BODY"], "2048", "blanks around the key and value are dropped")
        XCTAssertEqual(found["THREEPAY_DB_USER"], "pay")
        XCTAssertEqual(found["THREEPAY_DB_NAME"], "single quoted # not a comment")
        XCTAssertEqual(found["THREEPAY_DEFAULT_CLIENT_IP"], "10.0.0.1")
        XCTAssertEqual(found["THREEPAY_ALIPAY_SELLER_ID"], "line\none \"quoted\"", "double quotes know \\n and \\\"")
        XCTAssertEqual(found["THREEPAY_ALIPAY_NOTIFY_URL"], "https://pay.example.com/n?a=b=c", "only the first = splits")
        XCTAssertEqual(found["THREEPAY_DB_PASSWORD"], "")
        XCTAssertEqual(found.count, 8)
    }

    func testBadLinesAreReportedByNumberWithoutTheirText() {
        let text = "THREEPAY_WORKERS=8\nno equals sign here\nBAD-KEY=1\n=value\nOTHER_PROGRAM=secret-ish\nTHREEPAY_DB_NAME=x"
        guard case .failure(let error) = EnvironmentFile.parse(text) else { return XCTFail("accepted") }
        XCTAssertEqual(error.problems, [
            "line 2 of the settings file is not KEY=VALUE",
            "line 3 of the settings file has an invalid key",
            "line 4 of the settings file has an invalid key",
            "line 5 of the settings file does not set a THREEPAY_* setting (the name is not shown)",
        ])
        for text in ["no equals", "BAD-KEY", "OTHER_PROGRAM", "secret-ish"] {
            XCTAssertFalse(error.description.contains(text), text)
        }
    }
}
