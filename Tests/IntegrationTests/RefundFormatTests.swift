import CurlClient
import Foundation
import TestSupport
import XCTest

/// The Refund endpoint in each request format (JSON, XML root `AliRefundParm`, form, BSON) and its validation:
/// 1002 naming the member, nothing written, nothing sent to Alipay.
final class RefundFormatTests: RefundTestCase {
    typealias Format = ScanCodeTestCase.Format

    /// A refund request's members in order; a value is a JSON token when `token` (numbers), text otherwise.
    struct Body {
        var members: [(name: String, value: String, token: Bool)]

        func render(_ format: Format) -> [UInt8] {
            let bill = ScanCodeBill(members: members.map { ($0.name, $0.token ? .token($0.value) : .text($0.value)) })
            switch format {
            case .json: return bill.json()
            case .form: return bill.form()
            case .bson: return bill.bson()
            case .xml:
                let elements = members.map { "<\($0.name)>\(ScanCodeXMLText.escaped($0.value))</\($0.name)>" }
                return Array(("<AliRefundParm xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\""
                    + ScanCodeBill.xmlNamespace + "\">" + elements.joined() + "</AliRefundParm>").utf8)
            }
        }
    }

    static func body(_ bill: LifecycleIssued, refundno: String?, value: String?, token: Bool = true) -> Body {
        var members: [(String, String, Bool)] = [("billnum", bill.bill.billnum, false), ("billtype", bill.bill.billtype, false)]
        if let refundno { members.append(("refundno", refundno, false)) }
        if let value { members.append(("refundvalue", value, token)) }
        return Body(members: members)
    }

    /// The answer in the format the request came in (no Accept: the Content-Type decides).
    func send(_ body: Body, _ format: Format) async throws -> RefundAnswer {
        let bytes = body.render(format)
        let reply = try await HTTP.post(refundPath, bytes, contentType: format.contentType)
        return try RefundAnswer(reply)
    }

    func testARefundInEachFormat() async throws {
        let database = try StackDatabase()
        let bill = try await RefundBills.paid("RG", billtype: "2", amount: "9.00", database)
        var total = 0
        for (index, format) in Format.allCases.enumerated() {
            let refundno = "F\(index)"
            let answer = try await send(Self.body(bill, refundno: refundno, value: "1.50"), format)
            total += 150
            let expectedTotal = String(format: "%d.%02d", total / 100, total % 100)
            XCTAssertEqual(answer.errcode, 0, "\(format): \(answer.errmsg ?? "")")
            XCTAssertEqual(answer.format, [.xml: .xml, .bson: .bson][format] ?? .json, "\(format)")
            XCTAssertEqual(answer.tag, [
                "billnum": bill.bill.billnum, "billtype": "2", "autoid": String(bill.autoid), "refundno": refundno,
                "refundvalue": "1.50", "refundedtotal": expectedTotal, "status": "refunded",
            ], "\(format)")
        }
        // By autoid, with a reason, amount as text.
        let byAutoid = try await send(Body(members: [
            ("autoid", String(bill.autoid), false), ("refundno", "F9", false), ("refundvalue", "0.50", false),
            ("reason", "顾客退票 & <退款>", false),
        ]), .xml)
        total += 50
        let expectedTotal = String(format: "%d.%02d", total / 100, total % 100)
        XCTAssertEqual(byAutoid.errcode, 0, byAutoid.errmsg ?? "")
        XCTAssertEqual(byAutoid.tag["refundedtotal"], expectedTotal)
        XCTAssertEqual(try database.refunds(autoid: bill.autoid).last?["reason"], "顾客退票 & <退款>")
        try assertRefunds(bill, database, Format.allCases.indices.map { "F\($0) REFUNDED 1.50" } + ["F9 REFUNDED 0.50"],
                          total: expectedTotal)
    }

    func testInvalidRefundsAreRefusedNamingTheMember() async throws {
        let database = try StackDatabase()
        let bill = try await RefundBills.paid("RW", billtype: "2", amount: "9.00", database)
        try await GatewayCalls.startCounting()
        struct Case {
            let name: String
            let refundno: String?
            let value: String?
            var token = true
            let field: String
            var formats = Format.allCases
        }
        let cases = [
            Case(name: "no refundno", refundno: nil, value: "1.00", field: "refundno"),
            Case(name: "blank refundno", refundno: "   ", value: "1.00", field: "refundno"),
            Case(name: "refundno 33 characters", refundno: String(repeating: "9", count: 33), value: "1.00",
                 field: "refundno"),
            Case(name: "no refundvalue", refundno: "V1", value: nil, field: "refundvalue"),
            Case(name: "zero", refundno: "V1", value: "0", field: "refundvalue"),
            Case(name: "0.00", refundno: "V1", value: "0.00", field: "refundvalue"),
            Case(name: "negative", refundno: "V1", value: "-1.00", field: "refundvalue"),
            Case(name: "three decimals", refundno: "V1", value: "1.001", field: "refundvalue"),
            Case(name: "three decimals as text", refundno: "V1", value: "1.001", token: false, field: "refundvalue",
                 formats: [.json]),
            Case(name: "not a number", refundno: "V1", value: "abc", token: false, field: "refundvalue"),
            Case(name: "true", refundno: "V1", value: "true", field: "refundvalue", formats: [.json]),
        ]
        for test in cases {
            for format in test.formats {
                let body = Self.body(bill, refundno: test.refundno, value: test.value, token: test.token)
                let answer = try await send(body, format)
                XCTAssertEqual(answer.errcode, 1002, "\(test.name), \(format): \(answer.errmsg ?? "")")
                XCTAssertTrue(answer.errmsg?.contains(test.field) ?? false,
                              "\(test.name), \(format): errmsg names \(test.field): \(answer.errmsg ?? "")")
                XCTAssertEqual(answer.tag["billnum"], bill.bill.billnum, "\(test.name), \(format)")
            }
        }
        // Which payment is missing altogether.
        let noBill = try await send(Body(members: [("refundno", "V1", false), ("refundvalue", "1.00", true)]), .json)
        XCTAssertEqual(noBill.errcode, 1002, noBill.errmsg ?? "")
        XCTAssertTrue(noBill.errmsg?.contains("billnum") ?? false, noBill.errmsg ?? "")
        let reason = try await send(Body(members: [
            ("autoid", String(bill.autoid), false), ("refundno", "V1", false), ("refundvalue", "1.00", true),
            ("reason", String(repeating: "x", count: 257), false),
        ]), .json)
        XCTAssertEqual(reason.errcode, 1002, reason.errmsg ?? "")
        XCTAssertTrue(reason.errmsg?.contains("reason") ?? false, reason.errmsg ?? "")

        XCTAssertEqual(try database.refunds(autoid: bill.autoid).count, 0, "nothing written")
        try await assertGatewayCalls(0, "nothing sent to Alipay")
        try await assertAlipayRefunds(bill.outTradeNo, [])
        // Just inside the rules: 32 characters and a value with two decimals.
        let longest = String(repeating: "9", count: 32)
        let fine = try await send(Self.body(bill, refundno: longest, value: "0.01"), .form)
        XCTAssertEqual(fine.errcode, 0, fine.errmsg ?? "")
        XCTAssertEqual(fine.tag["refundno"], longest)
    }

    func testTheXMLAnswerIsTheDataContractEnvelope() async throws {
        let database = try StackDatabase()
        let bill = try await RefundBills.paid("RM", billtype: "2", amount: "2.00", database)
        let reply = try await HTTP.post(refundPath, Self.body(bill, refundno: "X1", value: "2.00").render(.xml),
                                        contentType: "application/xml")
        XCTAssertEqual(reply.header("Content-Type"), "application/xml; charset=utf-8")
        let root = "CommonOperationResultWithTagOfPayRefundResultKp9g8rEY"
        let result = "http://schemas.datacontract.org/2004/07/DigitalScience.DataTransfer.Tour.V5.Result.Pay"
        XCTAssertTrue(reply.text.hasPrefix("<\(root) xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\""
            + " xmlns=\"http://schemas.datacontract.org/2004/07/DigitalScience.DataTransfer\"><errcode>0</errcode>"
            + "<errmsg>OK</errmsg><tag xmlns:d2p1=\"\(result)\">"), reply.text)
        XCTAssertTrue(reply.text.hasSuffix("</tag></\(root)>"), reply.text)
        XCTAssertTrue(reply.text.contains("<d2p1:status>refunded</d2p1:status>"), reply.text)
    }
}

/// A Refund answer read back from JSON or DataContract XML: errcode, errmsg and the tag's members (nil members
/// left out).
struct RefundAnswer {
    let format: ScanCodeEnvelope.Format
    let errcode: Int
    let errmsg: String?
    let tag: [String: String]

    init(_ reply: HTTPReply) throws {
        let envelope = try ScanCodeEnvelope.parse(reply)
        format = envelope.format
        errcode = envelope.errcode
        errmsg = envelope.errmsg
        switch envelope.format {
        case .json, .bson:
            tag = (envelope.tag ?? [:]).compactMapValues { $0 }
        case .xml:
            var members: [String: String] = [:]
            for name in ["autoid", "billnum", "billtype", "refundno", "refundvalue", "refundedtotal", "status"] {
                if let value = Self.element("d2p1:" + name, in: reply.text) { members[name] = value }
            }
            tag = members
        }
    }

    private static func element(_ name: String, in text: String) -> String? {
        guard let open = text.range(of: "<\(name)>"),
              let close = text.range(of: "</\(name)>", range: open.upperBound..<text.endIndex)
        else { return nil }
        return ScanCodeXMLText.unescaped(String(text[open.upperBound..<close.lowerBound]))
    }
}
