import Foundation
import XCTest

/// Loads the files in `Fixtures/` (made by scripts/make-alipay-fixtures.py).
enum Fixtures {
    /// The text of one fixture file.
    static func text(_ name: String) throws -> String {
        let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"),
                                "missing fixture \(name)")
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// The SDK-made vectors.
    static func vectors() throws -> AlipayVectors {
        let data = Data(try text("alipay-vectors.json").utf8)
        return try JSONDecoder().decode(AlipayVectors.self, from: data)
    }
}

/// `Fixtures/alipay-vectors.json`.
struct AlipayVectors: Decodable {
    let appID: String
    let requests: [String: RequestVector]
    let responses: [String: ResponseVector]
    let notification: NotificationVector

    enum CodingKeys: String, CodingKey {
        case appID = "app_id", requests, responses, notification
    }

    func request(_ name: String) throws -> RequestVector {
        try XCTUnwrap(requests[name], "no request vector \(name)")
    }

    func response(_ name: String) throws -> ResponseVector {
        try XCTUnwrap(responses[name], "no response vector \(name)")
    }
}

/// A signed request: the parameters, the canonical string, the SDK's signature and our form body.
struct RequestVector: Decodable {
    let method: String
    let params: [String: String]
    let stringToSign: String
    let sign: String
    let formBody: String

    enum CodingKeys: String, CodingKey {
        case method, params, sign, stringToSign = "string_to_sign", formBody = "form_body"
    }
}

/// A gateway reply: the raw body and the exact node text that was signed.
struct ResponseVector: Decodable {
    let nodeName: String
    let signedNode: String
    let sign: String?
    let responseBody: String

    enum CodingKeys: String, CodingKey {
        case sign, nodeName = "node_name", signedNode = "signed_node", responseBody = "response_body"
    }
}

/// An asynchronous notification: fields, canonical string, signature and the form body as posted.
struct NotificationVector: Decodable {
    let fields: [String: String]
    let stringToVerify: String
    let sign: String
    let formBody: String

    enum CodingKeys: String, CodingKey {
        case fields, sign, stringToVerify = "string_to_verify", formBody = "form_body"
    }
}

/// Asserts that a printable error text contains no run of key body characters.
func XCTAssertNoKeyMaterial(_ message: String, keyText: String, file: StaticString = #filePath, line: UInt = #line) {
    let body = keyText.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined()
    guard body.count >= 16 else { return }
    var index = body.startIndex
    while let end = body.index(index, offsetBy: 16, limitedBy: body.endIndex) {
        if message.contains(body[index..<end]) {
            XCTFail("error text contains key material: \(message.prefix(40))…", file: file, line: line)
            return
        }
        index = body.index(index, offsetBy: 8, limitedBy: body.endIndex) ?? body.endIndex
    }
}
