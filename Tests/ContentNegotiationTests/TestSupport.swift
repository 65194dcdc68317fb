import ContentNegotiation
import PaymentModel
import XCTest

/// Helpers shared by the decoding tests.
enum Body {
    static func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }
}

extension XCTestCase {
    /// Decodes and returns the fields, failing the test on an error.
    func fields(_ contentType: String?, _ body: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> ScanCodeFields? {
        switch decodeScanCode(contentType: contentType, body: body) {
        case let .success(fields): return fields
        case let .failure(error):
            XCTFail("unexpected \(error)", file: file, line: line)
            return nil
        }
    }

    /// Decodes and returns the error, failing the test on success.
    func failure(_ contentType: String?, _ body: [UInt8], limits: DecodingLimits = DecodingLimits(),
                 file: StaticString = #filePath, line: UInt = #line) -> ServiceError? {
        switch decodeScanCode(contentType: contentType, body: body, limits: limits) {
        case let .success(fields):
            XCTFail("unexpected success \(fields)", file: file, line: line)
            return nil
        case let .failure(error): return error
        }
    }
}
