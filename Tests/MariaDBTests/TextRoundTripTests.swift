import Foundation
import MariaDB
import PaymentFlow
@testable import PaymentStore
import XCTest

/// Text goes in and comes back byte for byte: quotes, backslashes, emoji, 4-byte CJK, long values.
final class TextRoundTripTests: XCTestCase {
    func testAwkwardTextRoundTrips() throws {
        let store = try TestDatabase.store()
        let billnum = String(TestDatabase.uniqueBillnum().prefix(12)) + "单号😀𠀀'\"\\"
        XCTAssertEqual(billnum.unicodeScalars.count, 19)
        let body = "门票 'single' \"double\" back\\slash \\\\ \\' emoji 😀👨‍👩‍👧 4-byte 𠀀𝄞 tab\tnew\nline %_ ; -- /*"
        let detail = String(repeating: "𠀀😀", count: 1000)  // 2000 characters, 8000 bytes
        let record = try store.begin(TestDatabase.input(billnum, body: body, detail: detail)).record

        XCTAssertEqual(record.billnum, billnum)
        XCTAssertEqual(record.body, body)
        XCTAssertEqual(record.detail, detail)
        let again = try XCTUnwrap(store.find(billtype: "2", billnum: billnum))
        XCTAssertEqual(again.body.unicodeScalars.map(\.value), body.unicodeScalars.map(\.value))
        XCTAssertEqual(Array(again.detail!.utf8), Array(detail.utf8))
        XCTAssertEqual(try store.find(outTradeNo: record.outTradeNo), record)
    }

    func testLengthsAreCountedInCharactersNotBytes() throws {
        let store = try TestDatabase.store()
        let billnum = String(TestDatabase.uniqueBillnum().prefix(10)) + String(repeating: "😀", count: 10)
        XCTAssertEqual(billnum.unicodeScalars.count, 20)
        let body = String(repeating: "𠀀", count: 512)
        let record = try store.begin(TestDatabase.input(billnum, body: body)).record
        XCTAssertEqual(record.body, body)
        XCTAssertEqual(record.billnum, billnum)
    }

    func testLongGatewayTextIsCutToTheColumnNotRefused() throws {
        let store = try TestDatabase.store()
        let record = try store.begin(TestDatabase.input(TestDatabase.uniqueBillnum())).record
        let reason = String(repeating: "原因😀", count: 400)  // 1200 characters
        let unknown = try store.recordUnknown(autoid: record.autoid, reason: reason)
        var expected = String.UnicodeScalarView()
        expected.append(contentsOf: reason.unicodeScalars.prefix(512))
        XCTAssertEqual(unknown.gatewayMessage, String(expected))
    }
}
