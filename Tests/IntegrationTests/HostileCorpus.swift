import Foundation

/// The hostile request corpus: tables of bodies × content types, each case named for its failure
/// message and carrying a fresh bill number so that any record it caused can be found.
enum HostileCorpus {
    static let jsonTypes = ["application/json", "application/json; charset=GBK"]
    static let xmlTypes = ["application/xml", "text/xml; charset=gb2312"]
    static let formTypes = ["application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=GBK"]
    static let form = "application/x-www-form-urlencoded"

    static func billnum() -> String { ScanCodeBillNumbers.next("h") }

    static func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// A valid bill whose Chinese texts are GBK bytes when the content type declares a GBK charset.
    static func bill(_ billnum: String, for contentType: String) -> ScanCodeBill {
        let bill = ScanCodeBill.valid(billnum)
        guard contentType.lowercased().contains("charset=gb") else { return bill }
        return bill.setting("body", .bytes(ScanCodeGBK.testGoods.bytes)).setting("detail", .bytes(ScanCodeGBK.cardRecharge.bytes))
    }

    static var all: [HostileCase] {
        truncated + nesting + declarations + invalidText + hugeNumbers + duplicates + injections + oversized
            + contentTypes + charsetLies + oddHeaders + trivialBodies + jsonLeniency + caps
    }


    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}
