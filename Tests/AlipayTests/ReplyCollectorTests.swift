@testable import CurlClient
import XCTest

/// The header lines libcurl hands over one by one, CRLF included.
final class ReplyCollectorTests: XCTestCase {
    private func collect(_ lines: [String]) -> [(String, String)] {
        let collector = ReplyCollector(limit: 1024)
        for line in lines {
            Array(line.utf8).withUnsafeBytes { collector.appendHeaderLine($0) }
        }
        return collector.headers
    }

    func testNamesAndValuesLoseTheBlanksAroundThemAndKeepTheirCase() {
        let headers = collect([
            "HTTP/1.1 200 OK\r\n", "Content-Type:  text/html; charset=utf-8 \r\n", "X-Empty:\r\n",
            "X-Tabbed:\tvalue\twith tab\t\r\n", "Set-Cookie: a=b:c\r\n", "\r\n",
        ])
        XCTAssertEqual(headers.map(\.0), ["Content-Type", "X-Empty", "X-Tabbed", "Set-Cookie"])
        XCTAssertEqual(headers.map(\.1), ["text/html; charset=utf-8", "", "value\twith tab", "a=b:c"])
    }

    func testAStatusLineStartsOverAndLinesWithoutANameAreLeftOut() {
        let headers = collect([
            "HTTP/1.1 100 Continue\r\n", "X-Interim: 1\r\n", "\r\n", "HTTP/1.1 502 Bad Gateway\r\n",
            ": no name\r\n", "no colon at all\r\n", "Server: nginx\r\n", "\r\n",
        ])
        XCTAssertEqual(headers.map(\.0), ["Server"])
        XCTAssertEqual(headers.map(\.1), ["nginx"])
    }

    func testTextThatIsNotUTF8IsRepairedNotDropped() {
        let collector = ReplyCollector(limit: 1024)
        [UInt8]("X-Bytes: a".utf8 + [0xFF] + "b\r\n".utf8).withUnsafeBytes { collector.appendHeaderLine($0) }
        XCTAssertEqual(collector.headers.first?.1, "a\u{FFFD}b")
    }
}
