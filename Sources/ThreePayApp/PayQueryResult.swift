import CivilTime
import ContentNegotiation
import PaymentModel
import PaymentFlow

/// The tag of the Query and Cancel answers: where a bill's payment stands.
///
/// `status` is one of `waiting` (QR code issued or being issued, not paid yet), `paid`, `refunded` (paid, and
/// all of it refunded), `closed` (voided or expired, nothing was paid), `failed` (Alipay refused the QR code).
/// `refundedtotal` is what has been refunded of a paid bill so far.
struct PayQueryResult: EnvelopeTag {
    static let xmlRootName = "CommonOperationResultWithTagOfPayQueryResultKp9g8rEY"
    static let contractNamespace = PayScanCodeResult.contractNamespace

    var billnum: String?
    var billtype: String?
    var autoid: String?
    var status: String?
    var outtradeno: String?
    var tradeno: String?
    var amount: String?
    var paytime: String?
    var codeurl: String?
    var refundedtotal: String?

    var members: [TagMember] {
        [
            TagMember("billnum", billnum), TagMember("billtype", billtype), TagMember("autoid", autoid),
            TagMember("status", status), TagMember("outtradeno", outtradeno), TagMember("tradeno", tradeno),
            TagMember("amount", amount), TagMember("paytime", paytime), TagMember("codeurl", codeurl),
            TagMember("refundedtotal", refundedtotal),
        ]
    }

    init(billnum: String?, billtype: String?, autoid: String? = nil) {
        self.billnum = billnum
        self.billtype = billtype
        self.autoid = autoid
    }

    init(record: PaymentRecord) {
        billnum = record.billnum
        billtype = record.billtype
        autoid = String(record.autoid)
        status = record.isFullyRefunded ? "refunded" : PayQueryResult.status(of: record.status)
        outtradeno = record.outTradeNo
        tradeno = record.tradeNo
        amount = record.paymentvalue.description
        paytime = record.paidAt.map(CivilTimeText.china.format)
        codeurl = record.status == .qrIssued ? record.codeurl : nil
        refundedtotal = record.status == .paid ? record.refundedAmount.description : nil
    }

    static func status(of status: PaymentStatus) -> String {
        switch status {
        case .initiated, .qrIssued, .unknown: "waiting"
        case .paid: "paid"
        case .closed: "closed"
        case .qrFailed: "failed"
        }
    }
}
