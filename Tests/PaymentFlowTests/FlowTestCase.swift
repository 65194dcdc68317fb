import Alipay
import PaymentFlow
import PaymentModel
import XCTest

/// A flow over the in-memory store and the scripted gateway, with helpers to state bills briefly.
class FlowTestCase: XCTestCase {
    var store: InMemoryStore!
    var gateway: ScriptedGateway!
    var flow: PaymentFlow!
    /// A fresh minute for each call: XCTest makes every test case object before the first test runs.
    var deadline: Deadline { .after(milliseconds: 60_000) }

    override func setUp() {
        store = InMemoryStore()
        gateway = ScriptedGateway()
        flow = PaymentFlow(
            store: store, gateway: gateway,
            settings: PaymentFlow.Settings(
                qrValiditySeconds: 900, qrTimeoutExpress: "15m", defaultClientIP: "202.96.128.68",
                sellerID: "2088102177840000"))
    }

    func bill(_ billnum: String = "B1", amount: String = "7.00", billtype: BillType = .pointOfSale, cardno: String? = nil)
        -> ScanCodeRequest
    {
        ScanCodeRequest(
            billnum: billnum, billtype: billtype, body: "Adult ticket", paytype: "01",
            paymentvalue: Money(exactly: amount)!, cardno: cardno)
    }

    /// Issues a QR code that must succeed, and returns its record.
    func issued(_ bill: ScanCodeRequest, file: StaticString = #filePath, line: UInt = #line) throws -> PaymentRecord {
        switch flow.issueQRCode(for: bill, deadline: deadline) {
        case .success(let record): return record
        case .failure(let failure): XCTFail("\(failure)", file: file, line: line); throw failure
        }
    }

    /// The failure of an operation that must fail.
    func failure<Value>(_ result: Result<Value, FlowFailure>, file: StaticString = #filePath, line: UInt = #line)
        throws -> FlowFailure
    {
        switch result {
        case .success(let value):
            XCTFail("expected a failure, got \(value)", file: file, line: line)
            throw FlowFailure(.internalError)
        case .failure(let failure): return failure
        }
    }

    func record(_ autoid: Int64) -> PaymentRecord { store.records[autoid]! }
}
