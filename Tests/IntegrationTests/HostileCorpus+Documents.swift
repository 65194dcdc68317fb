import Foundation

/// Hostile documents: truncated, deeply nested, and XML declarations and entities.
extension HostileCorpus {
    // MARK: Truncated documents

    /// Every prefix at ~24 cut points of a valid JSON and XML document is refused.
    static var truncated: [HostileCase] {
        var cases: [HostileCase] = []
        for (types, render) in [(jsonTypes, { (b: ScanCodeBill) in b.json() }), (xmlTypes, { (b: ScanCodeBill) in b.xml() })] {
            for type in types {
                let number = billnum()
                let whole = render(bill(number, for: type))
                let step = max(1, whole.count / 24)
                var cuts = Array(stride(from: 1, to: whole.count, by: step))
                cuts.append(whole.count - 1)
                for cut in Set(cuts).sorted() {
                    cases.append(.rejected("truncated at byte \(cut)/\(whole.count) [\(type)]", type, Array(whole.prefix(cut)),
                                           billnums: [number]))
                }
            }
        }
        return cases
    }

    // MARK: Deep nesting

    static var nesting: [HostileCase] {
        var cases: [HostileCase] = []
        for type in jsonTypes {
            for depth in [1, 3, 40, 5000] {
                let number = billnum()
                let nested = String(repeating: "[", count: depth) + "\"\(number)\"" + String(repeating: "]", count: depth)
                let body = bill(number, for: type).setting("billnum", .token(nested)).json()
                cases.append(.rejected("JSON billnum as an array nested \(depth) deep [\(type)]", type, body, billnums: [number], [1001]))
            }
            for depth in [40, 1000, 20000] {
                let number = billnum()
                let nested = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
                let body = bill(number, for: type).appending("x", .token(nested)).json()
                cases.append(.rejected("JSON unknown member with arrays \(depth) deep [\(type)]", type, body, billnums: [number], [1001]))
            }
            for depth in [40, 3000] {
                let number = billnum()
                let nested = String(repeating: "{\"a\":", count: depth) + "1" + String(repeating: "}", count: depth)
                let body = bill(number, for: type).appending("x", .token(nested)).json()
                cases.append(.rejected("JSON unknown member with objects \(depth) deep [\(type)]", type, body, billnums: [number], [1001]))
            }
            let number = billnum()
            var unclosed = bill(number, for: type).json()
            unclosed.removeLast()
            unclosed += utf8(",\"x\":" + String(repeating: "[", count: 30000))
            cases.append(.rejected("JSON 30000 unclosed arrays [\(type)]", type, unclosed, billnums: [number], [1001]))
            let root = String(repeating: "[", count: 20000) + String(repeating: "]", count: 20000)
            cases.append(.rejected("JSON root arrays 20000 deep [\(type)]", type, utf8(root), billnums: [], [1001]))
        }
        for type in xmlTypes {
            for depth in [40, 2000] {
                let number = billnum()
                let nested = String(repeating: "<x>", count: depth) + String(repeating: "</x>", count: depth)
                let body = xmlInserting(nested, into: bill(number, for: type))
                cases.append(.rejected("XML unknown element nested \(depth) deep [\(type)]", type, body, billnums: [number], [1001]))
            }
            let number = billnum()
            let body = xmlInserting(String(repeating: "<x>", count: 5000), into: bill(number, for: type))
            cases.append(.rejected("XML 5000 unclosed elements [\(type)]", type, body, billnums: [number], [1001]))
            let inner = billnum()
            let child = bill(inner, for: type).setting("body", .token("<b>t</b>"))
            cases.append(.rejected("XML body member holding an element [\(type)]", type, rawXML(child), billnums: [inner], [1001]))
        }
        return cases
    }

    /// The bill as XML with `markup` inserted as the root's first child.
    static func xmlInserting(_ markup: String, into bill: ScanCodeBill) -> [UInt8] {
        utf8(ScanCodeBill.xmlRootOpen + markup) + Array(bill.xml().dropFirst(ScanCodeBill.xmlRootOpen.utf8.count))
    }

    /// XML with `.token` values written raw (unescaped markup).
    static func rawXML(_ bill: ScanCodeBill) -> [UInt8] {
        var out = utf8(ScanCodeBill.xmlRootOpen)
        for (name, value) in bill.members {
            out += utf8("<\(name)>")
            switch value {
            case .token(let raw): out += utf8(raw)
            case .text(let text): out += utf8(ScanCodeXMLText.escaped(text))
            case .bytes(let bytes): out += bytes
            }
            out += utf8("</\(name)>")
        }
        return out + utf8("</AliScanCodeParm>")
    }

    // MARK: DOCTYPE, entities and other XML declarations

    static var declarations: [HostileCase] {
        var cases: [HostileCase] = []
        let root = "AliScanCodeParm"
        var laughs = "<!DOCTYPE \(root) [<!ENTITY lol0 \"lol\">"
        for level in 1...9 {
            laughs += "<!ENTITY lol\(level) \"" + String(repeating: "&lol\(level - 1);", count: 10) + "\">"
        }
        laughs += "]>"
        let quadratic = "<!DOCTYPE \(root) [<!ENTITY big \"" + String(repeating: "x", count: 20000) + "\">]>"
        let doctypes: [(String, String, String)] = [
            ("billion laughs", laughs, "&lol9;"),
            ("quadratic blow-up", quadratic, String(repeating: "&big;", count: 2000)),
            ("external entity file", "<!DOCTYPE \(root) [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>", "&xxe;"),
            ("external entity http", "<!DOCTYPE \(root) [<!ENTITY xxe SYSTEM \"\(TestStack.baseURL)/sandbox/health\">]>", "&xxe;"),
            ("parameter entity", "<!DOCTYPE \(root) [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>", "门票"),
            ("external DTD", "<!DOCTYPE \(root) SYSTEM \"\(TestStack.baseURL)/sandbox/health\">", "门票"),
            ("public DTD", "<!DOCTYPE \(root) PUBLIC \"-//X//Y\" \"http://127.0.0.1:1/x.dtd\">", "门票"),
            ("internal entity for the body", "<!DOCTYPE \(root) [<!ENTITY b \"门票\">]>", "&b;"),
            ("empty DOCTYPE", "<!DOCTYPE \(root)>", "门票"),
        ]
        let types = xmlTypes + ["text/xml"]
        for (label, doctype, bodyText) in doctypes {
            for type in types {
                let number = billnum()
                let bill = ScanCodeBill.valid(number).setting("body", .token(bodyText))
                let body = utf8("<?xml version=\"1.0\"?>" + doctype) + rawXML(bill)
                cases.append(.rejected("XML \(label) [\(type)]", type, body, billnums: [number], [1006]))
            }
        }
        // Tricks that are malformed rather than declarations, or declarations in disguise.
        let others: [(String, (String) -> [UInt8], Set<Int>)] = [
            ("undefined entity", { rawXML(ScanCodeBill.valid($0).setting("body", .token("&foo;"))) }, [1001]),
            ("character reference to NUL", { rawXML(ScanCodeBill.valid($0).setting("body", .token("a&#0;b"))) }, [1001, 1003]),
            ("character reference to a surrogate", { rawXML(ScanCodeBill.valid($0).setting("body", .token("&#xD800;"))) }, [1001]),
            ("character reference above U+10FFFF", { rawXML(ScanCodeBill.valid($0).setting("body", .token("&#x110000;"))) }, [1001]),
            ("character reference overflowing", { rawXML(ScanCodeBill.valid($0).setting("body", .token("&#99999999999999999999;"))) }, [1001]),
            ("character reference to U+0001", { rawXML(ScanCodeBill.valid($0).setting("body", .token("a&#1;b"))) }, [1001]),
            ("ENTITY inside the root", { rawXML(ScanCodeBill.valid($0).setting("detail", .token("<!ENTITY x \"y\">"))) }, [1001, 1006]),
            ("lower-case doctype", { utf8("<!doctype AliScanCodeParm>") + rawXML(ScanCodeBill.valid($0)) }, [1001, 1006]),
            ("DOCTYPE after the root", { rawXML(ScanCodeBill.valid($0)) + utf8("<!DOCTYPE AliScanCodeParm>") }, [1001, 1006]),
            ("XInclude in the body", {
                rawXML(ScanCodeBill.valid($0).setting(
                    "body", .token("<xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"file:///etc/passwd\" parse=\"text\"/>")))
            }, [1001]),
            ("unterminated comment", { utf8("<!-- ") + rawXML(ScanCodeBill.valid($0)) }, [1001]),
            ("unterminated CDATA", { rawXML(ScanCodeBill.valid($0).setting("body", .token("<![CDATA[门票"))) }, [1001]),
            ("two roots", { rawXML(ScanCodeBill.valid($0)) + rawXML(ScanCodeBill.valid($0)) }, [1001]),
            ("duplicate attribute", {
                utf8("<AliScanCodeParm a=\"1\" a=\"2\"") + Array(rawXML(ScanCodeBill.valid($0)).dropFirst("<AliScanCodeParm".utf8.count))
            }, [1001]),
            ("undeclared prefix", { rawXML(ScanCodeBill.valid($0).setting("billtype", nil).appending("p:billtype", .text("2"))) }, [1001, 1002]),
            ("UTF-16 with BOM and DOCTYPE", {
                utf16LE("<!DOCTYPE AliScanCodeParm [<!ENTITY b \"x\">]>", bom: true) + utf16LE(String(decoding: rawXML(ScanCodeBill.valid($0)), as: UTF8.self), bom: false)
            }, [1006]),
            ("UTF-7 declaration hiding a DOCTYPE", {
                utf8("<?xml version=\"1.0\" encoding=\"UTF-7\"?>+ADw-!DOCTYPE AliScanCodeParm+AD4-") + rawXML(ScanCodeBill.valid($0))
            }, [1001, 1003, 1006]),
        ]
        for (label, make, errcodes) in others {
            for type in ["application/xml", "text/xml; charset=gbk"] {
                let number = billnum()
                cases.append(.rejected("XML \(label) [\(type)]", type, make(number), billnums: [number], errcodes))
            }
        }
        return cases
    }

    static func utf16LE(_ text: String, bom: Bool) -> [UInt8] {
        var bytes: [UInt8] = bom ? [0xFF, 0xFE] : []
        for unit in text.utf16 { bytes += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        return bytes
    }
}
