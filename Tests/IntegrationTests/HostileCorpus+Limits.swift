import BSON
import Foundation

/// Bodies exactly at each count of `DecodingLimits`, which are read and stored, and one over, which are answered
/// 1001 naming the count: 64 attributes on an XML element, 1,000 elements in an XML document, 256 members in a
/// JSON object or BSON document, 256 values in an array, 256 fields in a form, nesting 32 deep.
extension HostileCorpus {
    static var caps: [HostileCase] {
        var cases: [HostileCase] = []
        func add(_ label: String, _ type: String, limit: Int, what: String, _ make: (String, Int) -> [UInt8]) {
            let stored = billnum()
            cases.append(HostileCase(
                name: "\(label): \(limit) [\(type)]", contentType: type, body: make(stored, limit), billnums: [stored],
                expectation: .stored(["billnum": stored])))
            let refused = billnum()
            var over = HostileCase.rejected("\(label): \(limit + 1) [\(type)]", type, make(refused, limit + 1), billnums: [refused], [1001])
            over.errmsgPart = what
            cases.append(over)
        }
        // The valid bill has eight members, and in XML a root holding two namespace declarations.
        for type in xmlTypes {
            add("XML attributes on the root", type, limit: 64, what: "more than 64 attributes on one XML element") { number, count in
                let attributes = (0..<count - 2).map { " a\($0)=\"x\"" }.joined()
                let open = "<AliScanCodeParm xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"\(ScanCodeBill.xmlNamespace)\"\(attributes)>"
                return bill(number, for: type).xml(rootOpen: open)
            }
            add("XML attributes on a member", type, limit: 64, what: "more than 64 attributes on one XML element") { number, count in
                xmlInserting("<u" + (0..<count).map { " a\($0)=\"x\"" }.joined() + "/>", into: bill(number, for: type))
            }
            add("XML elements in the document", type, limit: 1_000, what: "more than 1000 elements in the XML document") { number, count in
                xmlInserting(String(repeating: "<u/>", count: count - 9), into: bill(number, for: type))
            }
            add("XML nesting depth", type, limit: 32, what: "nested deeper than 32 levels") { number, depth in
                xmlInserting(String(repeating: "<x>", count: depth - 1) + String(repeating: "</x>", count: depth - 1), into: bill(number, for: type))
            }
        }
        for type in jsonTypes {
            add("JSON members in the root object", type, limit: 256, what: "more than 256 members in one JSON object") { number, count in
                (0..<count - 8).reduce(bill(number, for: type)) { $0.appending("u\($1)", .token("1")) }.json()
            }
            add("JSON values in an array", type, limit: 256, what: "more than 256 values in one JSON array") { number, count in
                bill(number, for: type).appending("x", .token("[" + Array(repeating: "1", count: count).joined(separator: ",") + "]")).json()
            }
            add("JSON nesting depth", type, limit: 32, what: "nested deeper than 32 levels") { number, depth in
                let nested = String(repeating: "[", count: depth - 1) + String(repeating: "]", count: depth - 1)
                return bill(number, for: type).appending("x", .token(nested)).json()
            }
        }
        for type in formTypes {
            add("form fields", type, limit: 256, what: "more than 256 fields in the form") { number, count in
                (0..<count - 8).reduce(bill(number, for: type)) { $0.appending("u\($1)", .text("1")) }.form()
            }
        }
        let bson = "application/bson"
        add("BSON members in the document", bson, limit: 256, what: "more than 256 members in one BSON document") { number, count in
            BSONWriter.document(ScanCodeBill.valid(number).bsonMembers + (8..<count).map { BSONMember("u\($0)", .int32(1)) })
        }
        add("BSON values in an array", bson, limit: 256, what: "more than 256 values in one BSON array") { number, count in
            BSONWriter.document(ScanCodeBill.valid(number).bsonMembers + [BSONMember("x", .array(Array(repeating: .null, count: count)))])
        }
        add("BSON nesting depth", bson, limit: 32, what: "nested deeper than 32 levels") { number, depth in
            let nested = (2..<depth).reduce(BSONValue.document([])) { inner, _ in .document([BSONMember("a", inner)]) }
            return BSONWriter.document(ScanCodeBill.valid(number).bsonMembers + [BSONMember("x", nested)])
        }
        return cases
    }
}
