import CurlClient
import Foundation
import TestSupport

/// An answer envelope read back from JSON, DataContract XML or BSON.
struct ScanCodeEnvelope {
    enum Format { case json, xml, bson }

    let format: Format
    let errcode: Int
    let errmsg: String?
    /// nil when the tag is null.
    let tag: [String: String?]?

    var billnum: String? { tag?["billnum"] ?? nil }
    var autoid: String? { tag?["autoid"] ?? nil }
    var codeurl: String? { tag?["codeurl"] ?? nil }

    /// Reads the reply by its Content-Type; throws when it is not a JSON, XML or BSON envelope.
    static func parse(_ reply: HTTPReply) throws -> ScanCodeEnvelope {
        let contentType = reply.header("Content-Type")?.lowercased() ?? ""
        if contentType.hasPrefix("application/json") || contentType.hasPrefix("text/json") {
            return try json(reply.body)
        }
        if contentType.hasPrefix("application/xml") || contentType.hasPrefix("text/xml") {
            return try xml(reply.text)
        }
        if contentType.hasPrefix("application/bson") {
            return try bson(reply.body)
        }
        throw TestFailure("not an envelope (HTTP \(reply.status), Content-Type '\(contentType)'): \(reply.text.prefix(200))")
    }

    static func json(_ body: [UInt8]) throws -> ScanCodeEnvelope {
        guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let errcode = object["errcode"] as? Int, object.keys.contains("errmsg"), object.keys.contains("tag")
        else { throw TestFailure("not a JSON envelope: \(String(decoding: body, as: UTF8.self).prefix(200))") }
        var tag: [String: String?]?
        if let members = object["tag"] as? [String: Any] {
            tag = members.mapValues { $0 as? String }
        }
        return ScanCodeEnvelope(format: .json, errcode: errcode, errmsg: object["errmsg"] as? String, tag: tag)
    }

    static func xml(_ text: String) throws -> ScanCodeEnvelope {
        let root = "CommonOperationResultWithTagOf"
        guard text.hasPrefix("<\(root)"), let code = element("errcode", in: text).flatMap({ Int($0) }) else {
            throw TestFailure("not an XML envelope: \(text.prefix(200))")
        }
        guard let tagStart = text.range(of: "<tag "), let tagEnd = text[tagStart.upperBound...].firstIndex(of: ">") else {
            throw TestFailure("XML envelope without <tag>: \(text.prefix(300))")
        }
        var tag: [String: String?]?
        if text[text.index(before: tagEnd)] != "/" {
            var members: [String: String?] = [:]
            for name in ["autoid", "billnum", "codeurl"] { members[name] = element("d2p1:" + name, in: text) }
            tag = members
        }
        return ScanCodeEnvelope(format: .xml, errcode: code, errmsg: element("errmsg", in: text), tag: tag)
    }

    /// The unescaped text of the first `<name>…</name>`, nil when absent or `i:nil`.
    private static func element(_ name: String, in text: String) -> String? {
        guard let open = text.range(of: "<\(name)>"), let close = text.range(of: "</\(name)>", range: open.upperBound..<text.endIndex) else {
            return nil
        }
        return ScanCodeXMLText.unescaped(String(text[open.upperBound..<close.lowerBound]))
    }
}

/// The exact bytes the legacy service wrote for a successful ScanCode answer.
enum ScanCodeLegacyAnswer {
    static func xmlSuccess(autoid: String, billnum: String, codeurl: String) -> String {
        "<CommonOperationResultWithTagOfPayScanCodeResultKp9g8rEY xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\""
            + " xmlns=\"http://schemas.datacontract.org/2004/07/DigitalScience.DataTransfer\">"
            + "<errcode>0</errcode><errmsg>OK</errmsg>"
            + "<tag xmlns:d2p1=\"http://schemas.datacontract.org/2004/07/DigitalScience.DataTransfer.Tour.V5.Result.Pay\">"
            + "<d2p1:autoid>\(autoid)</d2p1:autoid><d2p1:billnum>\(billnum)</d2p1:billnum>"
            + "<d2p1:codeurl>\(codeurl)</d2p1:codeurl></tag></CommonOperationResultWithTagOfPayScanCodeResultKp9g8rEY>"
    }

    /// Text as Json.NET escaped it: `"`, `\`, the short escapes, other controls and U+0085/U+2028/U+2029 as
    /// lower-case `\u`; everything else raw.
    static func jsonEscaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            case _ where scalar.value < 0x20 || [0x85, 0x2028, 0x2029].contains(scalar.value):
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Text as DataContractSerializer wrote it: `& < >` as entities, other C0 controls (not tab/LF/CR) as `&#xN;`.
    static func xmlEscaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case _ where scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r":
                out += "&#x" + String(scalar.value, radix: 16, uppercase: true) + ";"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func jsonSuccess(autoid: String, billnum: String, codeurl: String) -> String {
        "{\"errcode\":0,\"errmsg\":\"OK\",\"tag\":{\"billnum\":\"\(billnum)\",\"autoid\":\"\(autoid)\",\"codeurl\":\"\(codeurl)\"}}"
    }
}
