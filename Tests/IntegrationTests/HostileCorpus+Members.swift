import Foundation

/// Hostile members: duplicates and odd names, and injection strings that must be stored verbatim.
extension HostileCorpus {
    // MARK: Duplicate and oddly cased members

    static var duplicates: [HostileCase] {
        var cases: [HostileCase] = []
        // JSON: the last occurrence wins, also across case variants.
        let json: [(String, (String) -> ScanCodeBill, Set<Int>)] = [
            ("duplicate billtype, last invalid", { ScanCodeBill.valid($0).appending("billtype", .text("9")) }, [1002]),
            ("case variant BILLTYPE last invalid", { ScanCodeBill.valid($0).appending("BILLTYPE", .text("9")) }, [1002]),
            ("case variant PaymentValue 0 last", { ScanCodeBill.valid($0).appending("PaymentValue", .token("0")) }, [1002]),
            ("case variant Billnum blank last", { ScanCodeBill.valid($0).appending("Billnum", .text("")) }, [1002]),
            ("billtype null last", { ScanCodeBill.valid($0).appending("billtype", .token("null")) }, [1002]),
            ("billtype as an array", { ScanCodeBill.valid($0).setting("billtype", .token("[\"2\"]")) }, [1001]),
            ("billtype as an object", { ScanCodeBill.valid($0).setting("billtype", .token("{\"v\":\"2\"}")) }, [1001]),
            ("dotted capital I in billtype's name", { ScanCodeBill.valid($0).setting("billtype", nil).appending("bİlltype", .text("2")) }, [1002]),
            ("full-width paytype name", { ScanCodeBill.valid($0).setting("paytype", nil).appending("\u{FF50}\u{FF41}\u{FF59}\u{FF54}\u{FF59}\u{FF50}\u{FF45}", .text("01")) }, [1002]),
            ("billtype's name with a trailing space", { ScanCodeBill.valid($0).setting("billtype", nil).appending("billtype ", .text("2")) }, [1002]),
            ("240 duplicate billtypes, last invalid", { bill in
                var result = ScanCodeBill.valid(bill)
                for _ in 0..<240 { result = result.appending("billtype", .text("2")) }
                return result.appending("billtype", .text("0"))
            }, [1002]),
        ]
        for (label, make, errcodes) in json {
            for type in jsonTypes {
                let number = billnum()
                cases.append(.rejected("JSON \(label) [\(type)]", type, make(number).json(), billnums: [number], errcodes))
            }
        }
        // XML: the first occurrence wins; names and namespaces are case-sensitive.
        let xml: [(String, (String) -> [UInt8], Set<Int>)] = [
            ("duplicate billtype, first invalid", { rawXML(Self.first("billtype", "9", ScanCodeBill.valid($0))) }, [1002]),
            ("BillType instead of billtype", { rawXML(ScanCodeBill.valid($0).setting("billtype", nil).appending("BillType", .text("2"))) }, [1002]),
            ("billtype in another namespace", {
                xmlInserting("<billtype xmlns=\"urn:other\">2</billtype>", into: ScanCodeBill.valid($0).setting("billtype", nil))
            }, [1002]),
            ("billtype i:nil", { xmlInserting("<billtype i:nil=\"true\"/>", into: ScanCodeBill.valid($0).setting("billtype", nil)) }, [1002]),
            ("billtype 9 in CDATA", { rawXML(ScanCodeBill.valid($0).setting("billtype", .token("<![CDATA[9]]>"))) }, [1002]),
            ("root in another namespace", {
                utf8("<AliScanCodeParm xmlns=\"urn:other\">") + Array(rawXML(ScanCodeBill.valid($0)).dropFirst(ScanCodeBill.xmlRootOpen.utf8.count))
            }, [1001]),
            ("root name in lower case", {
                utf8("<aliScanCodeParm>") + Array(ScanCodeBill.valid($0).xml().dropFirst(ScanCodeBill.xmlRootOpen.utf8.count).dropLast(18)) + utf8("</aliScanCodeParm>")
            }, [1001]),
            ("text directly in the root", { xmlInserting("stray text", into: ScanCodeBill.valid($0)) }, [1001]),
        ]
        for (label, make, errcodes) in xml {
            for type in xmlTypes {
                let number = billnum()
                cases.append(.rejected("XML \(label) [\(type)]", type, make(number), billnums: [number], errcodes))
            }
        }
        // Forms: the first occurrence wins, keys compare without case.
        let forms: [(String, (String) -> [UInt8])] = [
            ("duplicate billtype, first invalid", { Self.first("billtype", "9", ScanCodeBill.valid($0)).form() }),
            ("BILLTYPE first invalid", { Self.first("BILLTYPE", "9", ScanCodeBill.valid($0)).form() }),
            ("empty billtype first", { utf8("billtype=&") + ScanCodeBill.valid($0).form() }),
            ("key without '=' first", { utf8("billtype&") + ScanCodeBill.valid($0).form() }),
            ("percent-encoded key first", { utf8("bill%74ype=9&") + ScanCodeBill.valid($0).form() }),
            ("jQuery bracket key", { ScanCodeBill.valid($0).setting("billtype", nil).form() + utf8("&parm%5Bbilltype%5D=2") }),
            ("dotted key", { ScanCodeBill.valid($0).setting("billtype", nil).form() + utf8("&parm.billtype=2") }),
            ("semicolon separators", { utf8(String(decoding: ScanCodeBill.valid($0).form(), as: UTF8.self).replacingOccurrences(of: "&", with: ";")) }),
        ]
        for (label, make) in forms {
            for type in formTypes {
                let number = billnum()
                cases.append(.rejected("form \(label) [\(type)]", type, make(number), billnums: [number], [1002]))
            }
        }
        return cases
    }

    /// The bill with a first `name` member set to `value` in front of the others.
    static func first(_ name: String, _ value: String, _ bill: ScanCodeBill) -> ScanCodeBill {
        ScanCodeBill(members: [(name, .text(value))] + bill.members)
    }

    // MARK: SQL and header injection (valid requests, stored verbatim)

    static let injectionTexts: [(String, String)] = [
        ("SQL DROP TABLE", "'; DROP TABLE T_3Pay_Offline_ReceiveMoney; --"),
        ("SQL OR 1=1", "\" OR \"1\"=\"1"), ("SQL quote comment", "1' OR '1'='1' /*"),
        ("SQL SLEEP with backslashes", "\\'; SELECT SLEEP(5); -- \\"), ("SQL UNION", "' UNION SELECT @@version, user(), database() --"),
        ("Bobby Tables", "Robert'); DROP TABLE Students;--"), ("percent escapes kept", "%27%20OR%201=1 %u4E2D %zz"),
        ("CHAR()", "CHAR(39)||CHR(39)"), ("JNDI lookup", "${jndi:ldap://127.0.0.1/a}"),
        ("markup", "<script>alert('x')</script> & ]]> <![CDATA["),
        ("CRLF header injection", "x\r\nX-Injected: 1\r\nSet-Cookie: a=b\r\n\r\n<html>"),
        ("LF header injection", "x\nX-Injected: 1"), ("Unicode line separators", "a\u{2028}b\u{2029}c\u{85}d"),
        ("bidi override and BOM", "\u{202E}kcatta\u{202C} \u{FEFF}zero\u{200D}width"),
        ("control characters", "a\u{1}b\u{1B}[31mc\u{7F}"),
    ]

    static var injections: [HostileCase] {
        var cases: [HostileCase] = []
        let formats: [(ScanCodeTestCase.Format, String)] = [
            (.json, "application/json"), (.xml, "application/xml"), (.form, form), (.json, "text/json; charset=GBK"),
        ]
        for (label, text) in injectionTexts {
            for (format, type) in formats {
                // XML 1.0 cannot carry most C0 controls; the form and JSON cases cover them.
                if format == .xml, text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" && $0 != "\n" && $0 != "\r" }) {
                    continue
                }
                let number = billnum()
                let bill = ScanCodeBill.valid(number).setting("body", .text("门票 " + text)).setting("detail", .text(text))
                cases.append(HostileCase(
                    name: "\(label) in body and detail [\(type)]", contentType: type, body: format.render(bill), billnums: [number],
                    expectation: .stored(["billnum": number, "body": "门票 " + text, "detail": text])))
            }
        }
        // Short injections in the short members.
        let shortOnes: [(member: String, text: String, billtype: String)] = [
            ("billnum", "';--", "2"), ("billnum", "\"\\", "2"), ("billnum", "<&>", "2"), ("billnum", "\r\nX:1", "2"),
            ("billnum", "\u{1}\u{2028}", "2"), ("paytype", "'-", "2"), ("cardno", "';DROP--", "7"), ("paytype", "\\", "2"),
        ]
        for (member, text, billtype) in shortOnes {
            for (format, type) in formats where format != .xml || !text.contains("\u{1}") {
                let base = billnum()
                let number = member == "billnum" ? base + text : base
                var bill = ScanCodeBill.valid(number, billtype: billtype)
                var columns = ["billnum": number, "billtype": billtype]
                if member != "billnum" {
                    bill = bill.setting(member, .text(text))
                    columns[member] = text
                }
                cases.append(HostileCase(
                    name: "\(String(reflecting: text)) in \(member) [\(type)]", contentType: type, body: format.render(bill),
                    billnums: [number], expectation: .stored(columns)))
            }
        }
        // Escaped member names and XML niceties that are valid.
        let valid: [(String, String, (String) -> [UInt8], [String: String])] = [
            ("escaped member name b\\u0069llnum", "application/json",
             { utf8("{\"b\\u0069llnum\":\"\($0)\"," + String(decoding: ScanCodeBill.valid($0).setting("billnum", nil).json().dropFirst(), as: UTF8.self)) },
             [:]),
            ("CDATA body with markup", "application/xml",
             { rawXML(ScanCodeBill.valid($0).setting("body", .token("<![CDATA[<b>门票</b> & more]]>"))) }, ["body": "<b>门票</b> & more"]),
            ("comments and a processing instruction around the root", "application/xml",
             { utf8("<?xml version=\"1.0\" encoding=\"utf-8\"?><!-- c --><?pi x?>") + rawXML(ScanCodeBill.valid($0)) + utf8("<!-- end -->") }, [:]),
            ("240 unknown JSON members", "application/json", { number in
                var bill = ScanCodeBill.valid(number)
                for index in 0..<240 { bill = bill.appending("u\(index)", .token("1")) }
                return bill.json()
            }, [:]),
            ("240 unknown form pairs", form, { number in
                utf8(String(repeating: "a=b&", count: 240)) + ScanCodeBill.valid(number).form()
            }, [:]),
            ("form escapes decoded once, %u and bad escapes kept", form,
             { utf8("billnum=\($0)&billtype=2&paytype=01&paymentvalue=1&body=%u4E2D+a%2Bb%25%zz%E9%97%A8&detail=%") },
             ["body": "%u4E2D a+b%%zz门", "detail": "%"]),
            ("XML text kept untrimmed, line ends normalised, CR by reference", "application/xml",
             { rawXML(ScanCodeBill.valid($0).setting("body", .token(" x\r\ny ")).setting("detail", .token("a&#xD;&#xA;b&#9;c"))) },
             ["body": " x\ny ", "detail": "a\r\nb\tc"]),
            ("JSON escapes: surrogate pair, solidus, controls", "application/json",
             { ScanCodeBill.valid($0).setting("body", .token("\"\\ud83d\\ude00\\/\\b\\f\"")).setting("detail", .token("\"\\u4e2d\\u0001\"")).json() },
             ["body": "😀/\u{8}\u{C}", "detail": "中\u{1}"]),
            ("JSON numbers for text members keep their token", "application/json",
             { ScanCodeBill.valid($0).setting("billtype", .token("2")).setting("paytype", .token("10"))
                 .setting("cardno", .token("62220000111122223333")).json() },
             ["billtype": "2", "paytype": "10", "cardno": "62220000111122223333"]),
            ("XML members prefixed in the contract namespace", "application/xml", { number in
                utf8("<p:AliScanCodeParm xmlns:p=\"\(ScanCodeBill.xmlNamespace)\"><p:billnum>\(number)</p:billnum><p:billtype>2</p:billtype>"
                     + "<p:body>门票</p:body><p:paytype>01</p:paytype><p:paymentvalue> 9.90 </p:paymentvalue></p:AliScanCodeParm>")
            }, ["body": "门票", "paymentvalue": "9.90"]),
            ("XML without any namespace, members in reverse order", "text/xml", { number in
                utf8("<AliScanCodeParm><paytype>01</paytype><paymentvalue>1.5E1</paymentvalue><body>门票</body><billtype>3</billtype>"
                     + "<billnum>\(number)</billnum></AliScanCodeParm>")
            }, ["paymentvalue": "15.00", "billtype": "3"]),
        ]
        for (label, type, make, extra) in valid {
            let number = billnum()
            cases.append(HostileCase(
                name: "\(label) [\(type)]", contentType: type, body: make(number), billnums: [number],
                expectation: .stored(extra.merging(["billnum": number]) { mine, _ in mine })))
        }
        return cases
    }
}
