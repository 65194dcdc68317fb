import Foundation
import XCTest

/// `Fixtures/bson-vectors.json`, written by scripts/make-bson-fixtures.sh with PyMongo's `bson` package, a
/// BSON implementation independent of the libbson ThreePay uses.
struct BSONFixtures: Decodable {
    let generator: String
    let requests: [Request]
    let answers: [Answer]

    /// A request body PyMongo encoded, and what ThreePay must make of it.
    struct Request: Decodable {
        let name: String
        /// "scancode" or "query".
        let schema: String
        let bson: String
        /// 0 when the request is valid; otherwise the errcode of the answer.
        let errcode: Int
        /// Members and the text each must be read as (only those listed are checked).
        let fields: [String: String]?
        /// The amount in fen of a valid ScanCode request.
        let fen: Int64?
        /// A piece of the errmsg of a refused request.
        let message: String?
    }

    /// An envelope and the bytes PyMongo encoded it to.
    struct Answer: Decodable {
        let name: String
        let errcode: Int
        let errmsg: String?
        /// Members in JSON order as [name, value-or-null]; nil for a null tag.
        let tag: [[String?]]?
        let bson: String
    }

    static func load() throws -> BSONFixtures {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "bson-vectors", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(BSONFixtures.self, from: Data(contentsOf: url))
    }
}

/// Bytes from hex (spaces allowed) and back.
enum Hex {
    static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.filter { !$0.isWhitespace })
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
    }

    /// A document: its elements and terminator in hex, preceded by their length.
    static func document(_ elements: String) -> [UInt8] {
        let body = bytes(elements)
        return withUnsafeBytes(of: UInt32(body.count + 4).littleEndian, Array.init) + body
    }

    static func text(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
