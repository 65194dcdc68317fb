import BSON
import CurlClient
import XCTest

/// `application/bson` through nginx: ScanCode, Query and Cancel read BSON bodies and answer one BSON document.
final class BSONEndToEndTests: ScanCodeTestCase {
    private let queryPath = "/api/3Pay/AliPay/Query"
    private let cancelPath = "/api/3Pay/AliPay/Cancel"

    /// The answer document ThreePay must write for a ScanCode success (JSON's member order).
    private func scanCodeSuccess(billnum: String, autoid: String, codeurl: String) -> [UInt8] {
        BSONWriter.document([
            BSONMember("errcode", .int32(0)), BSONMember("errmsg", .string("OK")),
            BSONMember("tag", .document([
                BSONMember("billnum", .string(billnum)), BSONMember("autoid", .string(autoid)),
                BSONMember("codeurl", .string(codeurl)),
            ])),
        ])
    }

    private func bsonBill(_ billnum: String, amount: BSONValue) -> [UInt8] {
        BSONWriter.document([
            BSONMember("billnum", .string(billnum)), BSONMember("billtype", .string("2")), BSONMember("body", .string("景区门票")),
            BSONMember("paytype", .string("01")), BSONMember("paymentvalue", amount),
        ])
    }

    func testBSONScanCodeIsAnsweredInBSON() throws {
        let billnum = ScanCodeBillNumbers.next("bson")
        let reply = try client.scanCode(bsonBill(billnum, amount: .double(5)), contentType: "application/bson")
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(reply.header("Content-Type"), "application/bson; charset=utf-8")
        let answer = try envelope(reply)
        XCTAssertEqual(answer.format, .bson)
        let record = try assertIssued(answer, billnum: billnum)
        XCTAssertEqual(record.paymentvalue, "5.00")
        XCTAssertEqual(record.body, "景区门票")
        XCTAssertEqual(reply.body, scanCodeSuccess(billnum: billnum, autoid: record.autoid, codeurl: record.codeurl ?? ""))
    }

    /// Doubles are read with 15 significant digits, then by the exact rules; the other amount types too.
    func testEveryAmountType() throws {
        let accepted: [(String, BSONValue, String)] = [
            ("double 0.1 + 0.2", .double(0.1 + 0.2), "0.30"), ("double 19.99", .double(19.99), "19.99"),
            ("int32", .int32(7), "7.00"), ("int64", .int64(8), "8.00"), ("string", .string("1,000.50"), "1000.50"),
        ]
        for (name, amount, stored) in accepted {
            let billnum = ScanCodeBillNumbers.next("bsam")
            let answer = try envelope(try client.scanCode(bsonBill(billnum, amount: amount), contentType: "application/bson"))
            XCTAssertEqual(answer.errcode, 0, "\(name): \(answer.errmsg ?? "")")
            XCTAssertEqual(try assertIssued(answer, billnum: billnum).paymentvalue, stored, name)
        }
        let refused: [(String, BSONValue, Int, String)] = [
            ("double 0.005", .double(0.005), 1002, "at most 2 decimal places"),
            ("boolean", .bool(true), 1002, "The value 'True' is not valid for paymentvalue."),
            ("null", .null, 1002, "The paymentvalue field is required."),
        ]
        for (name, amount, errcode, message) in refused {
            let billnum = ScanCodeBillNumbers.next("bsno")
            let answer = try envelope(try client.scanCode(bsonBill(billnum, amount: amount), contentType: "application/bson"))
            XCTAssertEqual(answer.errcode, errcode, name)
            XCTAssertTrue(answer.errmsg?.contains(message) == true, "\(name): \(answer.errmsg ?? "")")
            XCTAssertEqual(answer.billnum, billnum, "\(name): the tag echoes the known bill")
            try assertNoRecord([billnum], name)
        }
    }

    /// Decimal128 and broken documents: 1001 in a BSON answer, nothing recorded, the responder still serving.
    func testDecimal128AndMalformedDocumentsAre1001() throws {
        let billnum = ScanCodeBillNumbers.next("bsbad")
        let valid = bsonBill(billnum, amount: .double(5))
        // The bill with its amount as Decimal128("5") (type 0x13, 16 bytes) instead of a null.
        let withNull = bsonBill(billnum, amount: .null)
        let nullElement = [0x0A] + Array("paymentvalue".utf8) + [0]
        var decimal = Array(withNull.dropLast(nullElement.count + 1))
        decimal += [0x13] + Array("paymentvalue".utf8) + [0] + [5] + [UInt8](repeating: 0, count: 13) + [0x40, 0x30] + [0]
        decimal.replaceSubrange(0..<4, with: withUnsafeBytes(of: UInt32(decimal.count).littleEndian, Array.init))
        var bomb: [UInt8] = [5, 0, 0, 0, 0]
        while bomb.count < 60_000 {
            bomb = withUnsafeBytes(of: UInt32(bomb.count + 7).littleEndian, Array.init) + [0x03, 0x00] + bomb + [0x00]
        }
        var hugeLength = valid
        hugeLength.replaceSubrange(0..<4, with: [0xFF, 0xFF, 0xFF, 0x7F])
        let cases: [(String, [UInt8])] = [
            ("Decimal128 amount", decimal), ("truncated", Array(valid.dropLast(7))), ("declared length 2 GiB", hugeLength),
            ("nested 8,500 levels deep", bomb), ("JSON text labelled BSON", ScanCodeBill.valid(billnum).json()),
        ]
        for (name, body) in cases {
            let reply = try client.scanCode(body, contentType: "application/bson")
            XCTAssertEqual(reply.status, 200, name)
            XCTAssertEqual(reply.header("Content-Type"), "application/bson; charset=utf-8", name)
            let answer = try envelope(reply)
            XCTAssertEqual(answer.errcode, 1001, "\(name): \(answer.errmsg ?? "")")
            XCTAssertNil(answer.tag, "\(name): no bill is known")
            XCTAssertEqual(answer.errmsg?.contains("Decimal128"), name.hasPrefix("Decimal128"), "\(name): \(answer.errmsg ?? "")")
        }
        try assertNoRecord([billnum])
        XCTAssertTrue(client.responderIsHealthy())
    }

    /// Query and Cancel read BSON bodies (autoid as int64, names in any case) and answer in BSON.
    func testQueryAndCancelInBSON() throws {
        let billnum = ScanCodeBillNumbers.next("bsq")
        let issued = try envelope(try client.scanCode(bsonBill(billnum, amount: .double(3.5)), contentType: "application/bson"))
        let record = try assertIssued(issued, billnum: billnum)

        let byBill = BSONWriter.document([BSONMember("BillType", .int32(2)), BSONMember("billnum", .string(billnum))])
        let query = try client.post(queryPath, byBill, contentType: "application/bson")
        XCTAssertEqual(query.header("Content-Type"), "application/bson; charset=utf-8")
        let members = try BSONReader.members(of: query.body, maxDepth: 2)
        XCTAssertEqual(members.map(\.name), ["errcode", "errmsg", "tag"])
        XCTAssertEqual(members.first?.value, .int32(0))
        XCTAssertEqual(try ScanCodeEnvelope.bsonTagNames(query.body),
                       ["billnum", "billtype", "autoid", "status", "outtradeno", "tradeno", "amount", "paytime", "codeurl", "refundedtotal"])
        guard case .document(let tag) = members.last?.value else { return XCTFail("no tag: \(members)") }
        let values = Dictionary(tag.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        XCTAssertEqual(values["billnum"], .string(billnum))
        XCTAssertEqual(values["autoid"], .string(record.autoid))
        XCTAssertEqual(values["status"], .string("waiting"))
        XCTAssertEqual(values["amount"], .string("3.50"))
        XCTAssertEqual(values["tradeno"], .null)

        let byID = BSONWriter.document([BSONMember("autoid", .int64(try XCTUnwrap(Int64(record.autoid))))])
        let cancel = try envelope(try client.post(cancelPath, byID, contentType: "application/bson"))
        XCTAssertEqual(cancel.format, .bson)
        XCTAssertEqual(cancel.errcode, 0, cancel.errmsg ?? "")
        XCTAssertEqual(cancel.tag?["status"], "closed")

        let missing = BSONWriter.document([BSONMember("billtype", .string("2")), BSONMember("billnum", .string(billnum + "x"))])
        let notFound = try client.post(queryPath, missing, contentType: "application/bson")
        XCTAssertEqual(
            notFound.body,
            BSONWriter.document([
                BSONMember("errcode", .int32(2003)), BSONMember("errmsg", .string("The payment record was not found; check the bill number.")),
                BSONMember("tag", .null),
            ])
        )
    }

    /// Refund reads BSON through the same decoder: a double refundvalue, lookup rules checked before the
    /// database, a BSON answer.
    func testRefundInBSON() throws {
        let billnum = ScanCodeBillNumbers.next("bsr")
        let issued = try envelope(try client.scanCode(bsonBill(billnum, amount: .double(9.9)), contentType: "application/bson"))
        let record = try assertIssued(issued, billnum: billnum)
        let refund = BSONWriter.document([
            BSONMember("billtype", .int32(2)), BSONMember("billnum", .string(billnum)), BSONMember("refundno", .string("R1")),
            BSONMember("RefundValue", .double(0.1 + 0.2)),
        ])
        let unpaid = try client.post("/api/3Pay/AliPay/Refund", refund, contentType: "application/bson")
        XCTAssertEqual(unpaid.header("Content-Type"), "application/bson; charset=utf-8")
        let answer = try envelope(unpaid)
        XCTAssertEqual(answer.errcode, 2007, answer.errmsg ?? "")
        XCTAssertEqual(answer.tag?["billnum"], billnum)
        XCTAssertEqual(answer.tag?["refundvalue"], "0.30", "the double was read to 15 significant digits")
        XCTAssertEqual(try database.records(billnum: billnum).last?.status, record.status)

        let tooLong = BSONWriter.document([
            BSONMember("billtype", .string("2")), BSONMember("billnum", .string(String(repeating: "R", count: 300))),
            BSONMember("refundno", .string("R1")), BSONMember("refundvalue", .int32(1)),
        ])
        let refused = try envelope(try client.post("/api/3Pay/AliPay/Refund", tooLong, contentType: "application/bson"))
        XCTAssertEqual(refused.format, .bson)
        XCTAssertEqual(refused.errcode, 1002)
        XCTAssertEqual(refused.errmsg, "The field billnum must be a string or array type with a maximum length of '20'.")
        XCTAssertNil(refused.tag)
    }

    /// A JSON client may ask for BSON answers, and a BSON client for JSON ones.
    func testAcceptChoosesAcrossFormats() throws {
        let billnum = ScanCodeBillNumbers.next("bsx")
        let asBSON = try client.scanCode(ScanCodeBill.valid(billnum).json(), contentType: "application/json", accept: "application/bson")
        XCTAssertEqual(asBSON.header("Content-Type"), "application/bson; charset=utf-8")
        let record = try assertIssued(try envelope(asBSON), billnum: billnum)
        XCTAssertEqual(asBSON.body, scanCodeSuccess(billnum: billnum, autoid: record.autoid, codeurl: record.codeurl ?? ""))
        let asJSON = try client.scanCode(bsonBill(billnum, amount: .double(5)), contentType: "application/bson", accept: "application/json")
        XCTAssertEqual(asJSON.header("Content-Type"), "application/json; charset=utf-8")
        XCTAssertEqual(
            asJSON.text,
            ScanCodeLegacyAnswer.jsonSuccess(autoid: record.autoid, billnum: billnum, codeurl: record.codeurl ?? ""))
    }
}
