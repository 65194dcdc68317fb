import CurlClient
import XCTest

/// Query and Cancel check their members before any database call: too long a billnum, a billtype or autoid
/// that cannot be one is 1002 naming the field, never the database's text, never the whole value. Failures
/// of a GET's query string speak of the query string.
final class LookupValidationTests: ScanCodeTestCase {
    private let paths = ["/api/3Pay/AliPay/Query", "/api/3Pay/AliPay/Cancel"]

    /// Sends the members as JSON, as a form and (Query) as a GET query string; every answer must be 1002 naming
    /// `field`, with a short errmsg that holds none of `forbidden`.
    private func assertRefused(_ members: [(String, String)], field: String, forbidden: String, _ label: String) throws {
        var replies: [(String, HTTPReply)] = []
        let form = members.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        let json = "{" + members.map { "\"\($0.0)\":\"\($0.1)\"" }.joined(separator: ",") + "}"
        for path in paths {
            replies.append(("\(path) JSON", try client.post(path, Array(json.utf8), contentType: "application/json")))
            replies.append(("\(path) form", try client.post(path, Array(form.utf8), contentType: "application/x-www-form-urlencoded")))
        }
        replies.append(("GET Query", try client.get("/api/3Pay/AliPay/Query?" + form)))
        for (name, reply) in replies {
            let answer = try envelope(reply)
            XCTAssertEqual(reply.status, 200, "\(label) \(name)")
            XCTAssertEqual(answer.errcode, 1002, "\(label) \(name): \(answer.errmsg ?? "")")
            let message = answer.errmsg ?? ""
            XCTAssertTrue(message.contains(field), "\(label) \(name): '\(message)' does not name \(field)")
            XCTAssertLessThan(message.count, 120, "\(label) \(name): \(message)")
            XCTAssertFalse(message.contains(forbidden), "\(label) \(name) echoes the value")
            XCTAssertFalse(message.lowercased().contains("database") || message.contains("error 1406"), "\(label) \(name): \(message)")
            XCTAssertNil(answer.tag, "\(label) \(name): no bill is known")
        }
    }

    func testLongBillnumsAre1002() throws {
        for length in [21, 255, 256, 4000] {
            let billnum = String(repeating: "L", count: length)
            try assertRefused([("billtype", "2"), ("billnum", billnum)], field: "billnum", forbidden: String(repeating: "L", count: 21),
                              "billnum of \(length)")
            try assertRefused([("autoid", "1"), ("billnum", billnum)], field: "billnum", forbidden: String(repeating: "L", count: 21),
                              "billnum of \(length) with an autoid")
        }
        try assertNoRecord([String(repeating: "L", count: 20)])
    }

    func testLongBilltypeAndAutoidAre1002() throws {
        let billtype = String(repeating: "2", count: 300)
        try assertRefused([("billtype", billtype), ("billnum", "B1")], field: "billtype", forbidden: String(repeating: "2", count: 21), "billtype")
        let autoid = String(repeating: "9", count: 300)
        try assertRefused([("autoid", autoid)], field: "autoid", forbidden: String(repeating: "9", count: 21), "autoid")
    }

    func testQueryStringFailuresNameTheQueryString() throws {
        for query in ["billtype=2&billnum=a%00b", "billtype=2&billnum=%ff", "autoid=%00"] {
            let reply = try client.get("/api/3Pay/AliPay/Query?" + query)
            let answer = try envelope(reply)
            XCTAssertEqual(answer.errcode, 1003, query)
            let message = answer.errmsg ?? ""
            XCTAssertTrue(message.contains("query string"), "\(query): \(message)")
            XCTAssertFalse(message.contains("body"), "\(query): \(message)")
            XCTAssertNil(answer.tag, query)
        }
        let empty = try envelope(try client.get("/api/3Pay/AliPay/Query"))
        XCTAssertEqual(empty.errcode, 1002)
        XCTAssertEqual(empty.errmsg, "The billnum field is required (or give autoid).")
    }

    /// A query string holds at most 256 fields (`DecodingLimits.maxMembers`): at the cap the bill is looked up,
    /// one more is 1001 saying so.
    func testQueryStringFieldsAreCapped() throws {
        let billnum = ScanCodeBillNumbers.next("q")
        let query = { (count: Int) in (0..<count - 2).map { "u\($0)=1&" }.joined() + "billtype=2&billnum=\(billnum)" }
        let atCap = try envelope(try client.get("/api/3Pay/AliPay/Query?" + query(256)))
        XCTAssertEqual(atCap.errcode, 2003, atCap.errmsg ?? "")
        let over = try envelope(try client.get("/api/3Pay/AliPay/Query?" + query(257)))
        XCTAssertEqual(over.errcode, 1001)
        XCTAssertTrue(over.errmsg?.hasPrefix("The query string could not be read: more than 256 fields (at byte ") == true, over.errmsg ?? "")
        XCTAssertNil(over.tag)
    }
}
