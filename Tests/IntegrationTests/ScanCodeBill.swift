import Foundation
import JSON
import TestSupport

/// The ScanCode endpoint's path behind nginx.
let scanCodePath = "/api/3Pay/AliPay/ScanCode"

/// A ScanCode request's members, in the order they are written, renderable as JSON, XML, a form or BSON (`bson()`).
struct ScanCodeBill {
    /// One member value.
    enum Value {
        /// Text: a JSON string, XML element text, a form value.
        case text(String)
        /// A JSON token written as is (a number, `true`, `null`); plain text in XML and forms.
        case token(String)
        /// Bytes already in some charset (GBK…), written raw in JSON/XML and percent-encoded in forms.
        case bytes([UInt8])
    }

    var members: [(name: String, value: Value)]

    /// A valid bill in the seed's JSON member order.
    static func valid(_ billnum: String, amount: String = "5.00", billtype: String = "2") -> ScanCodeBill {
        ScanCodeBill(members: [
            ("billnum", .text(billnum)), ("billtype", .text(billtype)), ("body", .text("景区门票")),
            ("paytype", .text("01")), ("paymentvalue", .token(amount)), ("detail", .text("成人票 x1")),
            ("clientip", .text("10.0.0.8")), ("cardno", .text("6222000011112222")),
        ])
    }

    /// The bill with `name` set to `value` (replacing it in place, or appended); nil removes it.
    func setting(_ name: String, _ value: Value?) -> ScanCodeBill {
        var copy = self
        if let index = copy.members.firstIndex(where: { $0.name == name }) {
            if let value { copy.members[index].value = value } else { copy.members.remove(at: index) }
        } else if let value {
            copy.members.append((name, value))
        }
        return copy
    }

    func setting(_ name: String, text: String?) -> ScanCodeBill { setting(name, text.map(Value.text)) }

    /// Appends a member even when one of that name exists (duplicates).
    func appending(_ name: String, _ value: Value) -> ScanCodeBill {
        var copy = self
        copy.members.append((name, value))
        return copy
    }

    /// The members in DataContract order (ordinal by name), as the seed's XML sample lists them.
    var sortedByName: ScanCodeBill {
        ScanCodeBill(members: members.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) })
    }

    func text(_ name: String) -> String? {
        guard let value = members.first(where: { $0.name == name })?.value else { return nil }
        switch value {
        case .text(let text), .token(let text): return text
        case .bytes: return nil
        }
    }

    // MARK: Rendering

    func json() -> [UInt8] {
        var out = Array("{".utf8)
        for (index, member) in members.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += Array(ScanCodeJSONText.quoted(member.name).utf8) + [UInt8(ascii: ":")]
            switch member.value {
            case .text(let text): out += Array(ScanCodeJSONText.quoted(text).utf8)
            case .token(let token): out += Array(token.utf8)
            case .bytes(let bytes): out += [UInt8(ascii: "\"")] + bytes + [UInt8(ascii: "\"")]
            }
        }
        return out + Array("}".utf8)
    }

    static let xmlNamespace = "http://schemas.datacontract.org/2004/07/DigitalScience.DataTransfer.Tour.V5.Parm.Pay"
    static let xmlRootOpen =
        "<AliScanCodeParm xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"\(xmlNamespace)\">"

    func xml(rootOpen: String = ScanCodeBill.xmlRootOpen, declaration: String = "") -> [UInt8] {
        var out = Array((declaration + rootOpen).utf8)
        for member in members {
            out += Array("<\(member.name)>".utf8)
            switch member.value {
            case .text(let text), .token(let text): out += Array(ScanCodeXMLText.escaped(text).utf8)
            case .bytes(let bytes): out += bytes
            }
            out += Array("</\(member.name)>".utf8)
        }
        return out + Array("</AliScanCodeParm>".utf8)
    }

    func form() -> [UInt8] {
        var pieces: [[UInt8]] = []
        for member in members {
            let value: [UInt8]
            switch member.value {
            case .text(let text), .token(let text): value = Array(text.utf8)
            case .bytes(let bytes): value = bytes
            }
            pieces.append(HexDigit.percentEncoded(bytes: Array(member.name.utf8)) + [UInt8(ascii: "=")]
                + HexDigit.percentEncoded(bytes: value))
        }
        return Array(pieces.joined(separator: [UInt8(ascii: "&")]))
    }
}

/// JSON string literals as a client writes them.
enum ScanCodeJSONText {
    /// A JSON string literal: quotes, backslashes and control characters escaped, the rest raw UTF-8.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// XML element text, both ways.
enum ScanCodeXMLText {
    /// Element text: `& < >` escaped, CR as a character reference (a raw CR would be normalised away).
    static func escaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\r": out += "&#13;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// The reverse of the escaping the service writes (the predefined entities and `&#x…;`).
    static func unescaped(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semi = rest[amp...].firstIndex(of: ";") else { break }
            let entity = rest[rest.index(after: amp)..<semi]
            switch entity {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                if entity.hasPrefix("#x"), let value = UInt32(entity.dropFirst(2), radix: 16), let scalar = Unicode.Scalar(value) {
                    out.unicodeScalars.append(scalar)
                } else if entity.hasPrefix("#"), let value = UInt32(entity.dropFirst()), let scalar = Unicode.Scalar(value) {
                    out.unicodeScalars.append(scalar)
                } else {
                    out += rest[amp...semi]
                }
            }
            rest = rest[rest.index(after: semi)...]
        }
        return out + rest
    }
}

/// GBK (GB18030) bytes of the Chinese texts the tests send, checked against iconv.
enum ScanCodeGBK {
    static let scenicTicketAdult = (text: "景区门票（成人）", bytes: hex("beb0c7f8c3c5c6b1a3a8b3c9c8cba3a9"))
    static let detail = (text: "中文详情，含标点：“引号”", bytes: hex("d6d0cec4cfeac7e9a3acbaacb1eab5e3a3baa1b0d2fdbac5a1b1"))
    static let testGoods = (text: "测试商品", bytes: hex("b2e2cad4c9ccc6b7"))
    static let cardRecharge = (text: "储值卡充值", bytes: hex("b4a2d6b5bfa8b3e4d6b5"))
    /// A four-byte GB18030 sequence (an emoji), not part of ScanCodeGBK.
    static let grinningFace = (text: "😀", bytes: hex("9439fc36"))

    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }
}

/// Bill numbers no earlier run used: a random run prefix plus a counter (at most 20 characters).
enum ScanCodeBillNumbers {
    static let run: String = {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyz23456789")
        return String((0..<6).map { _ in alphabet.randomElement()! })
    }()
    private static let counter = SharedCounter()

    /// `<tag><run><n>`: tag at most 6 characters.
    static func next(_ tag: String) -> String {
        "\(tag.prefix(6))\(run)\(counter.increment())"
    }
}
