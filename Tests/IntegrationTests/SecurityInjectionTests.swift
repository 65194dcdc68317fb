import CurlClient
import Foundation
import JSON
import TestSupport
import XCTest

/// Security review: "Nothing of a request is interpolated into SQL, shell commands or log formats" — at run
/// time. ScanCode requests carry CR/LF, format directives, SQL, shell substitutions and terminal escapes in
/// every member, header, the query string and the path. Each is stored verbatim or refused (never executed),
/// and the responder's log gains exactly one well-formed line per request.
final class SecurityInjectionTests: ScanCodeTestCase {
    private struct Hostile {
        let name: String
        let billnum: String
        let path: String
        let contentType: String
        let body: [UInt8]
        let headers: [(String, String)]
        /// The texts the record must hold when one was written (nil: no record may exist).
        let stored: (body: String, detail: String)?
    }

    func testHostileRequestsAreStoredVerbatimOrRefusedAndLoggedOneEscapedLineEach() throws {
        let marker = "SECMARK" + ScanCodeBillNumbers.run
        let touched = FileManager.default.temporaryDirectory.appendingPathComponent("threepay-\(marker)").path
        let texts: [(suffix: String, format: Format, text: String)] = [
            ("\r\nX", .xml, "line\r\nforged\n2099-01-01T00:00:00.000Z req=\(marker) w=0 POST /x status=200 errcode=0 ms=0.1"),
            ("%n%s", .form, "%n%s%x%p%%d \(marker)"),
            ("';--", .json, "'; DROP TABLE T_3Pay_Offline_ReceiveMoney; -- \(marker)"),
            ("\")--", .xml, "Robert\"); DELETE FROM T_3Pay_Offline_ReceiveMoney WHERE '1'='1' OR \"1\"=\"1 \(marker)"),
            ("$(id)", .form, "$(touch \(touched)) `touch \(touched)` ${IFS}; touch \(touched) | \(marker)"),
            ("\u{1B}[2J", .json, "\u{1B}[2J\u{1B}[31mred\u{1B}]0;title\u{07}\u{9B}31m\u{85}\u{2028}\u{7F} \(marker)"),
        ]
        var requests: [Hostile] = []
        for item in texts {
            let billnum = ScanCodeBillNumbers.next("inj") + item.suffix
            let bill = ScanCodeBill.valid(billnum).setting("body", text: item.text).setting("detail", text: item.text)
            // Header values cannot carry CR/LF (curl refuses them); everything else goes in.
            let headerText = item.text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
            requests.append(Hostile(
                name: "\(item.format) \(item.suffix.debugDescription)", billnum: billnum,
                path: scanCodePath + "?q=" + HexDigit.percentEncoded(item.text),
                contentType: item.format.contentType, body: item.format.render(bill),
                headers: [("User-Agent", headerText), ("X-Request-ID", headerText), ("X-Forwarded-For", headerText)],
                stored: (item.text, item.text)))
        }
        for clientip in ["10.0.0.8'; DROP TABLE T_3Pay_Offline_ReceiveMoney; --", "10.0.0.8\r\n$(id)", "%n%s"] {
            let billnum = ScanCodeBillNumbers.next("injip")
            requests.append(Hostile(
                name: "clientip \(clientip.debugDescription)", billnum: billnum, path: scanCodePath,
                contentType: Format.json.contentType,
                body: ScanCodeBill.valid(billnum).setting("clientip", text: clientip).json(), headers: [], stored: nil))
        }
        // A path with CR/LF: nginx decodes it into the responder's path, which answers 404.
        let forgedPath = "%0D%0A2099-01-01T00:00:00.000Z%20req=forged%20\(marker)%1B%5B2J"
        requests.append(Hostile(
            name: "path", billnum: ScanCodeBillNumbers.next("injp"), path: scanCodePath + forgedPath,
            contentType: Format.json.contentType, body: ScanCodeBill.valid("injpath").json(), headers: [], stored: nil))

        let logOffset = SecurityStack.fileSize(SecurityStack.responderLog)
        let accessOffset = SecurityStack.fileSize(SecurityStack.accessLog)
        var storedCount = 0
        for request in requests {
            let reply = try client.post(
                request.path, request.body, contentType: request.contentType, accept: "application/json", headers: request.headers)
            let errcode = reply.errcode
            let records = try database.records(billnum: request.billnum).filter { $0.billnum == request.billnum }
            if let stored = request.stored, let record = records.first {
                storedCount += 1
                XCTAssertEqual(records.count, 1, request.name)
                XCTAssertEqual(record.body, stored.body, "\(request.name): body stored verbatim")
                XCTAssertEqual(record.detail, stored.detail, "\(request.name): detail stored verbatim")
                XCTAssertEqual(errcode.map { $0 == 0 || (3001...3004).contains($0) }, true, "\(request.name): \(reply.text)")
            } else {
                XCTAssertEqual(records, [], "\(request.name): \(reply.text)")
                let refused = errcode.map { (1001...1999).contains($0) } ?? false
                XCTAssertTrue(refused, "\(request.name) was neither stored nor refused: \(reply.status) \(reply.text)")
            }
        }
        XCTAssertGreaterThanOrEqual(storedCount, 4, "the SQL, format and shell texts were accepted as data")
        XCTAssertFalse(FileManager.default.fileExists(atPath: touched), "a shell ran a request's text")
        XCTAssertNoThrow(try database.records(billnum: requests[0].billnum), "the table is still there")

        // One line per request; a line is written after its answer, so wait until all are there.
        let requestLine = try NSRegularExpression(pattern:
            #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z req=[0-9a-f]{32} w=\d+ POST /api/3Pay/AliPay/ScanCode\S* status=\d{3} errcode=\d+ ms=\d+\.\d$"#)
        var added = Data()
        var scanCodeLines: [String] = []
        try? Poll.until("\(requests.count) ScanCode lines in the responder's log", seconds: 30) {
            added = try SecurityStack.bytes(of: SecurityStack.responderLog, after: logOffset)
            scanCodeLines = SecurityInjectionTests.lines(added).filter { $0.contains(" /api/3Pay/AliPay/ScanCode") }
            return scanCodeLines.count >= requests.count
        }
        XCTAssertEqual(scanCodeLines.count, requests.count, scanCodeLines.joined(separator: "\n"))
        for line in scanCodeLines {
            XCTAssertNotNil(requestLine.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)), line)
        }
        XCTAssertEqual(added.last, UInt8(ascii: "\n"))
        for line in SecurityInjectionTests.lines(added) {
            XCTAssertNotNil(line.range(of: #"^20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "#, options: .regularExpression), "forged line: \(line)")
            XCTAssertFalse(line.hasPrefix("2099"), "forged line: \(line)")
        }
        assertPrintable(added, allowingUnicode: true, "the responder's log")
        // Bodies, headers and query strings are never logged; the decoded path is, as one sanitised token.
        let withMarker = scanCodeLines.filter { $0.contains(marker) }
        XCTAssertEqual(withMarker.count, 1, withMarker.joined(separator: "\n"))
        XCTAssertTrue(withMarker.first?.contains("status=404") ?? false, withMarker.joined())

        // nginx escapes what it logs of the same requests (User-Agent, request line).
        try SecurityStack.waitForAccessLog(containing: marker, after: accessOffset)
        assertPrintable(try SecurityStack.bytes(of: SecurityStack.accessLog, after: accessOffset), allowingUnicode: false, "nginx's access log")
    }

    /// The lines of `data`, split at every LF byte (a String split would keep CR LF together as one character).
    private static func lines(_ data: Data) -> [String] {
        data.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
    }

    /// No control character (C0, DEL, C1) and no Unicode line or paragraph separator; only `\n` ends lines.
    private func assertPrintable(_ data: Data, allowingUnicode: Bool, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let text = String(decoding: data, as: UTF8.self)
        let bad = text.unicodeScalars.filter { scalar in
            if scalar == "\n" { return false }
            if !allowingUnicode, scalar.value > 0x7E { return true }
            return scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}"
        }
        XCTAssertEqual(bad.map { String(format: "U+%04X", $0.value) }, [], "\(what) holds control characters", file: file, line: line)
    }
}
