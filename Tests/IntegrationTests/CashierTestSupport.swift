import Foundation
import JSON
import TestSupport
import XCTest

/// A bill sent to ScanCode for the QR and cashier-page tests, and what it was issued.
struct CashierBill: Sendable {
    let billnum: String
    let billtype: String
    let body: String
    let amount: String
    let autoid: Int64
    let codeURL: String
    let outTradeNo: String

    /// Issues a new bill (or the same bill again with `billnum`), which must get a QR code.
    static func issue(
        body: String = "景区门票（成人）Adult ticket ×2", amount: String = "128.00", billtype: String = "1",
        billnum: String? = nil, _ database: StackDatabase
    ) async throws -> CashierBill {
        let number = billnum ?? ScanCodeBillNumbers.next("cash")
        let answer = try LifecycleEnvelope(await HTTP.postJSON(scanCodePath, [
            "billnum": number, "billtype": billtype, "body": body, "paytype": "01", "paymentvalue": amount,
            "detail": body,
        ]))
        guard answer.errcode == 0, let autoid = answer.tag["autoid"].flatMap({ Int64($0) }),
              let codeURL = answer.tag["codeurl"]
        else { throw TestFailure("ScanCode of \(number) failed: \(answer.errcode) \(answer.errmsg ?? "")") }
        let record = try XCTUnwrap(try database.record(autoid: autoid), "no record \(autoid)")
        let outTradeNo = try XCTUnwrap(record["out_trade_no"], "record \(autoid) has no out_trade_no")
        return CashierBill(
            billnum: number, billtype: billtype, body: body, amount: amount, autoid: autoid, codeURL: codeURL,
            outTradeNo: outTradeNo)
    }

    /// The query string naming the bill by billtype and billnum.
    var byBill: String { "billtype=\(billtype)&billnum=\(HexDigit.percentEncoded(billnum))" }
    /// The query string naming this record by autoid.
    var byAutoid: String { "autoid=\(autoid)" }

    var lifecycleBill: LifecycleBill { LifecycleBill(billnum: billnum, billtype: billtype, amount: amount, cardno: nil) }

    /// The buyer pays at the sandbox; the notification is lost, so only a query finds the payment.
    func payWithoutNotification() async throws {
        let outTradeNo = outTradeNo
        _ = try await StackSandbox.run { try $0.pay(outTradeNo, notify: false) }
    }
}

enum CashierRoutes {
    static let qr = "/api/3Pay/AliPay/QR"
    static let cashier = "/api/3Pay/AliPay/Cashier"
    static let icon = "/api/3Pay/AliPay/CashierIcon"
}

/// Where the browser tests leave their screenshots: `<state dir>/screenshots/` (docs/cashier.png is a copy).
enum CashierScreenshots {
    static func save(_ png: [UInt8], as name: String) throws {
        let folder = URL(fileURLWithPath: TestStack.stateDir).appendingPathComponent("screenshots")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(png).write(to: folder.appendingPathComponent(name))
    }
}
