import CurlClient
import Foundation
import XCTest

/// Shared set-up for the ScanCode tests through nginx: a client, the sandbox's control API and a
/// database probe. Gateway faults are cleared before and after every test, also when it fails.
class ScanCodeTestCase: XCTestCase {
    var client: StackClient!
    var sandbox: StackSandbox!
    var database: StackDatabase!

    override func setUpWithError() throws {
        try super.setUpWithError()
        client = try StackClient()
        sandbox = StackSandbox(client)
        database = try StackDatabase()
        try sandbox.resetFaults()
    }

    override func tearDownWithError() throws {
        // Always runs, whatever the test did: a fault left behind would break every later test.
        if let sandbox { try sandbox.resetFaults() }
        client = nil
        sandbox = nil
        database = nil
        try super.tearDownWithError()
    }

    enum Format: String, CaseIterable {
        case json, xml, form, bson

        var contentType: String {
            switch self {
            case .json: return "application/json"
            case .xml: return "application/xml"
            case .form: return "application/x-www-form-urlencoded"
            case .bson: return "application/bson"
            }
        }

        func render(_ bill: ScanCodeBill) -> [UInt8] {
            switch self {
            case .json: return bill.json()
            case .xml: return bill.xml()
            case .form: return bill.form()
            case .bson: return bill.bson()
            }
        }
    }

    /// Sends `bill` in `format` and reads the envelope (a test failure when the answer is not one).
    func send(
        _ bill: ScanCodeBill, as format: Format = .json, contentType: String? = nil, accept: String? = nil,
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> (reply: HTTPReply, envelope: ScanCodeEnvelope) {
        let reply = try client.scanCode(format.render(bill), contentType: contentType ?? format.contentType, accept: accept)
        return (reply, try envelope(reply, file: file, line: line))
    }

    func envelope(_ reply: HTTPReply, file: StaticString = #filePath, line: UInt = #line) throws -> ScanCodeEnvelope {
        do {
            return try ScanCodeEnvelope.parse(reply)
        } catch {
            XCTFail("\(error)", file: file, line: line)
            throw error
        }
    }

    /// Checks a successful answer against the database and the sandbox: errcode 0, exactly one
    /// record for the bill in QR_ISSUED with the answer's autoid and codeurl, and a sandbox trade
    /// under the record's out_trade_no whose QR code is that codeurl. Returns the record.
    @discardableResult
    func assertIssued(
        _ envelope: ScanCodeEnvelope, billnum: String, file: StaticString = #filePath, line: UInt = #line
    ) throws -> StackDatabase.Record {
        XCTAssertEqual(envelope.errcode, 0, "errmsg: \(envelope.errmsg ?? "nil")", file: file, line: line)
        XCTAssertEqual(envelope.errmsg, "OK", file: file, line: line)
        XCTAssertEqual(envelope.billnum, billnum, file: file, line: line)
        let records = try database.records(billnum: billnum).filter { $0.billnum == billnum }
        XCTAssertEqual(records.count, 1, "records: \(records)", file: file, line: line)
        let record = try XCTUnwrap(records.last, file: file, line: line)
        XCTAssertEqual(record.status, "QR_ISSUED", file: file, line: line)
        XCTAssertEqual(envelope.autoid, record.autoid, file: file, line: line)
        let codeurl = try XCTUnwrap(envelope.codeurl, "no codeurl", file: file, line: line)
        XCTAssertEqual(record.codeurl, codeurl, file: file, line: line)
        let outTradeNo = try XCTUnwrap(record.outTradeNo, file: file, line: line)
        let trade = try XCTUnwrap(try sandbox.trade(outTradeNo), "the sandbox does not know \(outTradeNo)", file: file, line: line)
        XCTAssertEqual(trade["qr_code"], codeurl, file: file, line: line)
        XCTAssertEqual(trade["total_amount"], record.paymentvalue, file: file, line: line)
        return record
    }

    /// Checks that no record exists for any of `billnums`.
    func assertNoRecord(_ billnums: [String], _ message: String = "", file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try database.count(billnums: billnums), 0, "a record was written for \(billnums) \(message)", file: file, line: line)
    }
}
