import Foundation

/// Hostile text: invalid UTF-8 and GB18030, NUL, absurd amounts, charset lies and the GBK family.
extension HostileCorpus {
    // MARK: Invalid and overlong UTF-8, NUL

    static let badUTF8: [(String, [UInt8])] = [
        ("overlong '/' C0 AF", [0xC0, 0xAF]), ("overlong 3-byte E0 80 AF", [0xE0, 0x80, 0xAF]),
        ("overlong 4-byte F0 80 80 AF", [0xF0, 0x80, 0x80, 0xAF]), ("surrogate ED A0 80", [0xED, 0xA0, 0x80]),
        ("surrogate ED BF BF", [0xED, 0xBF, 0xBF]), ("above U+10FFFF F4 90 80 80", [0xF4, 0x90, 0x80, 0x80]),
        ("byte FF", [0xFF]), ("byte FE", [0xFE]), ("lone continuation 80", [0x80]), ("truncated E4 B8", [0xE4, 0xB8]),
        ("5-byte form F8 88 80 80 80", [0xF8, 0x88, 0x80, 0x80, 0x80]), ("overlong C1 BF", [0xC1, 0xBF]),
    ]

    /// Bytes invalid in GB18030 as well, for bodies labelled with a GBK-family charset.
    static let badGB18030: [(String, [UInt8])] = [("byte FF", [0xFF]), ("byte 80", [0x80]), ("dangling lead 81", [0x81])]

    static var invalidText: [HostileCase] {
        var cases: [HostileCase] = []
        let utf8Types: [(ScanCodeTestCase.Format, [String])] = [
            (.json, ["application/json", "application/json; charset=utf-8"]),
            (.xml, ["application/xml", "text/xml; charset=UTF-8"]),
            (.form, [form, form + "; charset=utf-8"]),
        ]
        for (label, bytes) in badUTF8 {
            for (format, types) in utf8Types {
                for type in types {
                    let number = billnum()
                    let bill = ScanCodeBill.valid(number).setting("body", .bytes(utf8("门") + bytes + utf8("票")))
                    cases.append(.rejected("invalid UTF-8 \(label) in the body [\(type)]", type, format.render(bill), billnums: [number], [1003]))
                }
            }
        }
        let gbkTypes: [(ScanCodeTestCase.Format, String)] = [
            (.json, "application/json; charset=GBK"), (.xml, "application/xml; charset=gb2312"), (.form, form + "; charset=GB18030"),
        ]
        for (label, bytes) in badGB18030 {
            for (format, type) in gbkTypes {
                let number = billnum()
                let bill = ScanCodeBill.valid(number).setting("body", .bytes(utf8("ab") + bytes))
                cases.append(.rejected("invalid GB18030 \(label) in the body [\(type)]", type, format.render(bill), billnums: [number], [1003]))
            }
        }
        // NUL in every position a client could put it.
        let nuls: [(String, String, (String) -> [UInt8], Set<Int>)] = [
            ("raw NUL in a JSON string", "application/json", { ScanCodeBill.valid($0).setting("body", .bytes([0x61, 0, 0x62])).json() }, [1001, 1003]),
            ("escaped \\u0000 in a JSON string", "application/json", { ScanCodeBill.valid($0).setting("body", .token("\"a\\u0000b\"")).json() }, [1001, 1003]),
            ("NUL after the JSON object", "application/json", { ScanCodeBill.valid($0).json() + [0] }, [1001, 1003]),
            ("NUL in a JSON member name", "application/json", { ScanCodeBill.valid($0).appending("bill\u{0}num", .text("x")).json() }, [1001, 1003]),
            ("raw NUL in XML text", "application/xml", { ScanCodeBill.valid($0).setting("body", .bytes([0x61, 0, 0x62])).xml() }, [1001, 1003]),
            ("NUL after the XML root", "application/xml", { ScanCodeBill.valid($0).xml() + [0] }, [1001, 1003]),
            ("%00 in a form value", form, { ScanCodeBill.valid($0).setting("body", .bytes([0x61, 0, 0x62])).form() }, [1003]),
            ("raw NUL byte in a form", form, { ScanCodeBill.valid($0).form() + [0x26, 0x00, 0x3D, 0x31] }, [1003]),
            ("%00 in a form key", form, { ScanCodeBill.valid($0).setting("billtype", nil).form() + utf8("&bill%00type=2") }, [1002, 1003]),
            ("UTF-16LE JSON labelled UTF-8", "application/json; charset=utf-8",
             { utf16LE(String(decoding: ScanCodeBill.valid($0).json(), as: UTF8.self), bom: false) }, [1003]),
            ("UTF-16LE JSON without a charset", "application/json",
             { utf16LE(String(decoding: ScanCodeBill.valid($0).json(), as: UTF8.self), bom: false) }, [1003]),
        ]
        for (label, type, make, errcodes) in nuls {
            for variant in type.contains("charset") ? [type] : [type, type + "; charset=GBK"] {
                let number = billnum()
                cases.append(.rejected("\(label) [\(variant)]", variant, make(number), billnums: [number], errcodes))
            }
        }
        return cases
    }

    // MARK: Huge numbers and exponents

    /// Amount texts that are not a payable amount under any grammar (JSON token, .NET Number or Float).
    static let badAmounts: [(String, String)] = [
        ("1e999999999", "1e999999999"), ("1E+ huge", "1E+999999999999999999999"), ("1e-999999", "1e-999999"),
        ("-1e999999999", "-1e999999999"), ("400 nines", String(repeating: "9", count: 400)),
        ("1 and 400 zeros", "1" + String(repeating: "0", count: 400)),
        ("400-place fraction", "0." + String(repeating: "0", count: 399) + "1"),
        ("400 nines .001", String(repeating: "9", count: 400) + ".001"), ("1e2147483648", "1e2147483648"),
        ("1e-2147483649", "1e-2147483649"), ("-0", "-0"), ("0e999999999", "0e999999999"), ("1e9", "1e9"),
        ("100000000.001", "100000000.001"), ("1.0e-3", "1.0e-3"), ("NaN", "NaN"), ("Infinity", "Infinity"),
        ("-Infinity", "-Infinity"), ("hex 0x10", "0x10"), ("full-width digits", "１２"), ("two points", "5.00.00"),
        ("dangling exponent", "5e"), ("double minus", "--5"), ("trailing minus", "5-"),
    ]

    /// Texts that are fine as .NET number strings but not JSON number tokens.
    static let badTokens: [(String, String)] = [
        ("+5", "+5"), (".5", ".5"), ("5.", "5."), ("05", "05"), ("1,000", "1,000"), ("5 .00", "5 .00"),
    ]

    static var hugeNumbers: [HostileCase] {
        var cases: [HostileCase] = []
        for (label, text) in badAmounts {
            let variants: [(String, String, (String) -> [UInt8], Set<Int>)] = [
                ("JSON number", "application/json", { ScanCodeBill.valid($0, amount: text).json() }, [1001, 1002]),
                ("JSON string", "application/json; charset=GBK", { ScanCodeBill.valid($0).setting("paymentvalue", .text(text)).json() }, [1002]),
                ("XML", "application/xml", { ScanCodeBill.valid($0, amount: text).xml() }, [1002]),
                ("form", form, { ScanCodeBill.valid($0, amount: text).form() }, [1002]),
            ]
            for (kind, type, make, errcodes) in variants {
                let number = billnum()
                cases.append(.rejected("amount \(label) as \(kind) [\(type)]", type, make(number), billnums: [number], errcodes))
            }
        }
        for (label, text) in badTokens {
            let number = billnum()
            cases.append(.rejected("amount \(label) as a JSON token", "application/json",
                                   ScanCodeBill.valid(number, amount: text).json(), billnums: [number], [1001]))
        }
        // Exotic spellings of payable amounts are read exactly, never rounded.
        let exact: [(String, String, String)] = [
            ("1, 400 zeros, e-400", "1" + String(repeating: "0", count: 400) + "e-400", "1.00"),
            ("5e-51 times 1e50", "0." + String(repeating: "0", count: 50) + "5e50", "0.50"),
            ("12.3400000", "12.3400000", "12.34"),
            ("1.5E+1", "1.5E+1", "15.00"),
        ]
        for (label, token, stored) in exact {
            let number = billnum()
            cases.append(HostileCase(
                name: "amount \(label) as a JSON number is stored exactly", contentType: "application/json",
                body: ScanCodeBill.valid(number, amount: token).json(), billnums: [number],
                expectation: .stored(["billnum": number, "paymentvalue": stored])))
        }
        return cases
    }

    // MARK: Charset lies

    static var charsetLies: [HostileCase] {
        var cases: [HostileCase] = []
        // A bill that fails validation if it were ever decoded into something readable.
        func invalid(_ number: String) -> ScanCodeBill { ScanCodeBill.valid(number, billtype: "9") }
        let gbkBill: (String) -> ScanCodeBill = { ScanCodeBill.valid($0).setting("body", .bytes(ScanCodeGBK.scenicTicketAdult.bytes)) }
        let lies: [(String, String, (String) -> [UInt8], Set<Int>)] = [
            ("GBK JSON labelled UTF-8", "application/json; charset=utf-8", { gbkBill($0).json() }, [1003]),
            ("GBK JSON without a charset", "application/json", { gbkBill($0).json() }, [1003]),
            ("GBK XML labelled UTF-8", "application/xml; charset=utf-8", { gbkBill($0).xml() }, [1003]),
            ("GBK form labelled UTF-8", form + "; charset=utf-8", { gbkBill($0).form() }, [1003]),
            ("UTF-8 JSON labelled UTF-16", "application/json; charset=utf-16", { invalid($0).json() }, []),
            ("UTF-8 JSON labelled UTF-32", "application/json; charset=utf-32", { invalid($0).json() }, []),
            ("UTF-8 XML labelled UTF-16BE", "application/xml; charset=utf-16be", { invalid($0).xml() }, []),
            ("UTF-8 form labelled UTF-16", form + "; charset=utf-16", { invalid($0).form() }, []),
            ("unknown charset", "application/json; charset=klingon", { ScanCodeBill.valid($0).json() }, [1003]),
            ("empty charset", "application/json; charset=", { invalid($0).json() }, []),
            ("two charsets", "application/json; charset=utf-8; charset=gbk", { invalid($0).json() }, []),
            ("quoted charset", "application/json; charset=\"utf-8\"", { invalid($0).json() }, []),
            ("1000-character charset", "application/json; charset=" + String(repeating: "x", count: 1000),
             { ScanCodeBill.valid($0).json() }, [1003, 1005]),
            ("GBK bytes labelled ISO-8859-1", "application/json; charset=iso-8859-1",
             { invalid($0).setting("body", .bytes(ScanCodeGBK.scenicTicketAdult.bytes)).json() }, []),
            ("UTF-8 BOM in a GBK-labelled body", "application/json; charset=GBK", { [0xEF, 0xBB, 0xBF] + invalid($0).json() }, []),
            ("UTF-16 BOM on UTF-8 bytes", "application/json", { [0xFF, 0xFE] + invalid($0).json() }, []),
            ("XML declaration ISO-8859-1 under a UTF-8 Content-Type", "application/xml; charset=utf-8",
             { utf8("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>") + ScanCodeBill.valid($0).xml() }, [1003]),
            ("XML declaration UTF-16 on UTF-8 bytes", "application/xml",
             { utf8("<?xml version=\"1.0\" encoding=\"UTF-16\"?>") + ScanCodeBill.valid($0).xml() }, [1003]),
            ("UTF-16LE XML with BOM declaring UTF-8", "application/xml",
             { utf16LE("<?xml version=\"1.0\" encoding=\"utf-8\"?>" + String(decoding: ScanCodeBill.valid($0).xml(), as: UTF8.self), bom: true) }, [1003]),
            ("XML declaration naming an unknown encoding", "application/xml",
             { utf8("<?xml version=\"1.0\" encoding=\"klingon\"?>") + ScanCodeBill.valid($0).xml() }, [1003]),
        ]
        for (label, type, make, errcodes) in lies {
            let number = billnum()
            cases.append(.rejected("charset lie: \(label)", type, make(number), billnums: [number], errcodes))
        }
        // The GBK family under its aliases, and Unicode encodings a client may legitimately use.
        let aliases = ["GBK", "gbk", "GB2312", "gb18030", "CP936", "x-gbk", "windows-936", "EUC-CN", "\"gbk\""]
        for (index, alias) in aliases.enumerated() {
            let format: ScanCodeTestCase.Format = [.json, .xml, .form][index % 3]
            let type = format.contentType + "; charset=" + alias
            let number = billnum()
            let bill = ScanCodeBill.valid(number).setting("body", .bytes(ScanCodeGBK.scenicTicketAdult.bytes))
                .setting("detail", .bytes(ScanCodeGBK.detail.bytes))
            cases.append(HostileCase(
                name: "GBK alias \(alias) [\(type)]", contentType: type, body: format.render(bill), billnums: [number],
                expectation: .stored(["billnum": number, "body": ScanCodeGBK.scenicTicketAdult.text, "detail": ScanCodeGBK.detail.text])))
        }
        let unicode: [(String, String?, (String) -> [UInt8])] = [
            ("XML declaring GBK without a charset header", "application/xml",
             { utf8("<?xml version=\"1.0\" encoding=\"GBK\"?>") + ScanCodeBill.valid($0).setting("body", .bytes(ScanCodeGBK.testGoods.bytes)).setting("detail", nil).xml() }),
            ("XML declaring gb2312 under a GBK header", "text/xml; charset=GBK",
             { utf8("<?xml version=\"1.0\" encoding=\"gb2312\"?>") + ScanCodeBill.valid($0).setting("body", .bytes(ScanCodeGBK.testGoods.bytes)).setting("detail", nil).xml() }),
            ("UTF-16LE JSON with a BOM", "application/json",
             { utf16LE(text(ScanCodeBill.valid($0).setting("body", .text(ScanCodeGBK.testGoods.text)).json()), bom: true) }),
            ("UTF-16 JSON without a BOM (little-endian, as .NET)", "application/json; charset=utf-16",
             { utf16LE(text(ScanCodeBill.valid($0).setting("body", .text(ScanCodeGBK.testGoods.text)).json()), bom: false) }),
            ("UTF-8 JSON with a BOM", "application/json",
             { [0xEF, 0xBB, 0xBF] + ScanCodeBill.valid($0).setting("body", .text(ScanCodeGBK.testGoods.text)).json() }),
        ]
        for (label, type, make) in unicode {
            let number = billnum()
            cases.append(HostileCase(
                name: "valid: \(label)", contentType: type, body: make(number), billnums: [number],
                expectation: .stored(["billnum": number, "body": ScanCodeGBK.testGoods.text])))
        }
        return cases
    }
}
