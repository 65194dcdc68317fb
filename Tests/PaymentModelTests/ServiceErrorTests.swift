import PaymentModel
import XCTest

final class ServiceErrorTests: XCTestCase {
    func testCodesAndStatusesAreStable() {
        let table: [(ErrorCode, Int, Int)] = [
            (.ok, 0, 200), (.bodyUnreadable, 1001, 200), (.validationFailed, 1002, 200), (.charsetInvalid, 1003, 200),
            (.bodyTooLarge, 1004, 413), (.unsupportedMediaType, 1005, 415), (.xmlDeclarationRefused, 1006, 200),
            (.emptyBody, 1007, 200), (.requestMalformed, 1008, 400), (.uriTooLong, 1009, 414), (.requestTimedOut, 1010, 408),
            (.tooManyRequests, 1011, 429), (.notFound, 1404, 404), (.methodNotAllowed, 1405, 405), (.alreadyPaid, 2001, 200),
            (.storeRefused, 2002, 200), (.recordNotFound, 2003, 200), (.billBusy, 2004, 200),
            (.refundExceedsRemaining, 2005, 200), (.refundNumberReused, 2006, 200), (.notPaid, 2007, 200),
            (.cardBalanceTooLow, 2008, 200), (.gatewayRefused, 3001, 200),
            (.gatewayOutcomeUnknown, 3002, 200), (.gatewaySignatureInvalid, 3003, 200), (.gatewayAnswerMalformed, 3004, 200),
            (.databaseUnavailable, 4001, 503), (.gatewayUnavailable, 4002, 503), (.serviceRestarting, 4003, 503),
            (.serviceTimedOut, 4004, 504), (.internalError, 5000, 500),
            (.noPayableCode, 2010, 200),
        ]
        XCTAssertEqual(table.count, ErrorCode.allCases.count)
        for (code, errcode, status) in table {
            XCTAssertEqual(code.rawValue, errcode)
            XCTAssertEqual(code.httpStatus, status, "\(code)")
            XCTAssertFalse(code.defaultMessage.isEmpty)
        }
        XCTAssertEqual(ErrorCode.ok.defaultMessage, "OK")
    }

    func testMessages() {
        XCTAssertEqual(
            ServiceError.gatewayRefused(code: "40004", subCode: "ACQ.TRADE_HAS_SUCCESS", subMessage: "交易已被支付").message,
            "Alipay refused the payment: ACQ.TRADE_HAS_SUCCESS 交易已被支付"
        )
        XCTAssertEqual(ServiceError.gatewayRefused(code: nil, subCode: nil, subMessage: nil).message, ErrorCode.gatewayRefused.defaultMessage)
        XCTAssertEqual(ServiceError.storeRefused(" ").message, ErrorCode.storeRefused.defaultMessage)
        XCTAssertEqual(ServiceError.bodyTooLarge(limit: 65536).httpStatus, 413)
        XCTAssertEqual(ServiceError.unsupportedMediaType("text/plain").message.contains("'text/plain'"), true)
        XCTAssertEqual(ServiceError.gatewayOutcomeUnknown.description, "errcode 3002: \(ErrorCode.gatewayOutcomeUnknown.defaultMessage)")
        XCTAssertEqual(ServiceError.excerpt(String(repeating: "a", count: 40)), String(repeating: "a", count: 32) + "…")
    }
}
