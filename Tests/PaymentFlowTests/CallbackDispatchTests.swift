import PaymentFlow
import PaymentModel
import XCTest

/// A receiver that answers from a script and records what it was sent.
final class ScriptedReceiver: CallbackSender {
    var billtypes: Set<String> = ["2"]
    var answers: [Result<(status: Int, body: [UInt8]), CallbackSendError>] = []
    private(set) var sent: [Int64] = []

    func hasReceiver(forBilltype billtype: String) -> Bool { billtypes.contains(billtype) }

    func send(_ job: CallbackJob) -> Result<(status: Int, body: [UInt8]), CallbackSendError> {
        sent.append(job.autoid)
        return answers.isEmpty ? .success((200, Array("success".utf8))) : answers.removeFirst()
    }
}

final class CallbackDispatchTests: FlowTestCase {
    var receiver: ScriptedReceiver!
    var dispatch: CallbackDispatch!

    override func setUp() {
        super.setUp()
        receiver = ScriptedReceiver()
        dispatch = CallbackDispatch(outbox: store, sender: receiver)
    }

    func paidRecord(_ billnum: String, billtype: BillType = .pointOfSale) throws -> Int64 {
        let record = try issued(bill(billnum, billtype: billtype, cardno: billtype == .storedValueCardRecharge ? "C1" : nil))
        gateway.pay(record.outTradeNo)
        _ = try flow.refresh(record, source: .query, deadline: deadline).get()
        store.queueCallback(for: record.autoid)
        return record.autoid
    }

    func testAnAcknowledgedCallbackIsDeliveredOnce() throws {
        let autoid = try paidRecord("B1")
        XCTAssertEqual(try dispatch.deliverDue(deadline: deadline).delivered, 1)
        XCTAssertEqual(try dispatch.deliverDue(deadline: deadline).claimed, 0)
        XCTAssertEqual(receiver.sent, [autoid])
        XCTAssertEqual(store.callbacks[0].state, "DELIVERED")
    }

    func testAnAnswerOtherThanSuccessIsRetriedWithGrowingPauses() throws {
        _ = try paidRecord("B1")
        receiver.answers = [.success((200, Array("ok".utf8))), .success((500, Array("success".utf8))),
                            .failure(CallbackSendError("connection refused"))]
        for expected in [5, 10, 20] {
            XCTAssertEqual(try dispatch.deliverDue(deadline: deadline).delivered, 0)
            XCTAssertEqual(store.callbacks[0].retryAfter, expected)
        }
        XCTAssertEqual(try dispatch.deliverDue(deadline: deadline).delivered, 1)
        XCTAssertEqual(store.callbacks[0].attempts, 3)
    }

    func testACallbackIsGivenUpAfterFifteenAttempts() throws {
        let autoid = try paidRecord("B1")
        receiver.answers = Array(repeating: .failure(CallbackSendError("refused")), count: 20)
        var gaveUp: [Int64] = []
        for _ in 0..<20 { gaveUp += try dispatch.deliverDue(deadline: deadline).gaveUp.map(\.autoid) }
        XCTAssertEqual(receiver.sent.count, CallbackDispatch.maximumAttempts)
        XCTAssertEqual(gaveUp, [autoid])
        XCTAssertEqual(store.callbacks[0].state, "GAVE_UP")
    }

    func testABilltypeWithoutReceiverIsSkippedNotSent() throws {
        _ = try paidRecord("B1", billtype: .scenicArea)
        XCTAssertEqual(try dispatch.deliverDue(deadline: deadline).claimed, 1)
        XCTAssertTrue(receiver.sent.isEmpty)
        XCTAssertEqual(store.callbacks[0].state, "SKIPPED")
    }

    func testTheBackoffIsCappedAtAnHour() {
        XCTAssertEqual((1...12).map(CallbackDispatch.backoffSeconds(afterAttempt:)),
                       [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600])
    }
}
