import Foundation

/// Hostile requests: oversized, wrongly typed, odd headers, trivial bodies, Json.NET leniency.
extension HostileCorpus {
    // MARK: Oversized members and bodies

    static var oversized: [HostileCase] {
        var cases: [HostileCase] = []
        let members: [(String, (String) -> (ScanCodeBill, [String]))] = [
            ("billnum of 10000 characters", { number in
                let long = number + String(repeating: "x", count: 10000)
                return (ScanCodeBill.valid(long), [long, String(long.prefix(20))])
            }),
            ("body of 513 characters", { (ScanCodeBill.valid($0).setting("body", .text(String(repeating: "票", count: 513))), [$0]) }),
            ("body of 20000 characters", { (ScanCodeBill.valid($0).setting("body", .text(String(repeating: "a", count: 20000))), [$0]) }),
            ("detail of 2001 characters", { (ScanCodeBill.valid($0).setting("detail", .text(String(repeating: "详", count: 2001))), [$0]) }),
            ("detail of 60000 characters", { (ScanCodeBill.valid($0).setting("detail", .text(String(repeating: "d", count: 60000))), [$0]) }),
            ("paytype of 1000 characters", { (ScanCodeBill.valid($0).setting("paytype", .text(String(repeating: "0", count: 1000))), [$0]) }),
            ("cardno of 10000 characters", { (ScanCodeBill.valid($0).setting("cardno", .text(String(repeating: "6", count: 10000))), [$0]) }),
            ("clientip of 5000 characters", { (ScanCodeBill.valid($0).setting("clientip", .text(String(repeating: "1.", count: 2500))), [$0]) }),
            ("billtype of 1000 characters", { (ScanCodeBill.valid($0).setting("billtype", .text(String(repeating: "2", count: 1000))), [$0]) }),
        ]
        for (label, make) in members {
            for (format, type) in [(ScanCodeTestCase.Format.json, "application/json"), (.xml, "application/xml"), (.form, form)] {
                let (bill, billnums) = make(billnum())
                cases.append(.rejected("\(label) [\(type)]", type, format.render(bill), billnums: billnums))
            }
        }
        // Bodies around the responder's limit (64 KiB) and nginx's (1 MiB).
        let limit = 65_536
        let atLimit = billnum()
        var padded = ScanCodeBill.valid(atLimit).json()
        padded += [UInt8](repeating: 0x20, count: limit - padded.count)
        cases.append(HostileCase(name: "valid JSON padded to exactly 64 KiB", contentType: "application/json", body: padded,
                                 billnums: [atLimit], expectation: .stored(["billnum": atLimit])))
        let overLimit = billnum()
        var over = ScanCodeBill.valid(overLimit).json()
        over += [UInt8](repeating: 0x20, count: limit + 1 - over.count)
        cases.append(.rejected("valid JSON padded to 64 KiB + 1", "application/json", over, billnums: [overLimit], [1004]))
        for type in ["application/xml", form, "text/plain"] {
            let number = billnum()
            let body = ScanCodeBill.valid(number).json() + [UInt8](repeating: 0x20, count: 200_000)
            cases.append(.rejected("200 KB body [\(type)]", type, body, billnums: [number], [1004]))
        }
        let huge = billnum()
        cases.append(HostileCase(
            name: "1 MiB + 1 body (nginx's limit)", contentType: "application/json",
            body: ScanCodeBill.valid(huge).json() + [UInt8](repeating: 0x20, count: 1 << 20), billnums: [huge],
            expectation: .status(413)))
        cases.append(.rejected("64 KB of '&' in a form", form, [UInt8](repeating: 0x26, count: 65_000), billnums: [], [1002]))
        cases.append(.rejected("64 KB of '=' in a form", form, [UInt8](repeating: 0x3D, count: 65_000), billnums: [], [1002]))
        return cases
    }

    // MARK: Wrong and missing content types

    static var contentTypes: [HostileCase] {
        var cases: [HostileCase] = []
        let unsupported: [String?] = [
            nil, "text/plain", "text/plain; charset=utf-8", "application/octet-stream", "multipart/form-data; boundary=xyz",
            "application/javascript", "application/jsonp", "application/json-patch+json",
            "application/problem+json", "application/vnd.api+json", "image/png", "text/html", "application/x-www-form-urlencodedx",
            "application/xhtml+xml", "text/csv",
        ]
        for type in unsupported {
            for (format, render) in [("JSON", { (b: ScanCodeBill) in b.json() }), ("XML", { (b: ScanCodeBill) in b.xml() })] {
                let number = billnum()
                cases.append(.rejected("\(format) body as \(type ?? "no Content-Type")", type, render(ScanCodeBill.valid(number)),
                                       billnums: [number], [1005]))
            }
        }
        // (.NET accepted white space around the '/' and a parameter without a value, and so does the service.)
        let unreadable = ["json", "application", "/", "application/", "%%%", "application/json, application/xml",
                          "\u{FF41}pplication/json", "application/json; =utf-8", ";charset=utf-8", "application/json;;;\"", "\"application/json\""]
        for type in unreadable {
            let number = billnum()
            cases.append(.rejected("JSON body as unreadable type \(String(reflecting: type))", type, ScanCodeBill.valid(number).json(),
                                   billnums: [number], [1005, 1003]))
        }
        let mismatched: [(String, String, (ScanCodeBill) -> [UInt8], Set<Int>)] = [
            ("JSON body", "application/xml", { $0.json() }, [1001]),
            ("XML body", "application/json", { $0.xml() }, [1001]),
            ("form body", "application/json", { $0.form() }, [1001]),
            ("form body", "text/xml", { $0.form() }, [1001]),
            ("JSON body", form, { $0.json() }, [1002]),
            ("XML body", form, { $0.xml() }, [1002]),
            ("truncated JSON", "*/*", { Array($0.json().dropLast(3)) }, [1001]),
            ("XML body", "application/*", { $0.xml() }, [1001]),
            ("JSON body", "application/bson", { $0.json() }, [1001]),
            ("XML body", "application/bson", { $0.xml() }, [1001]),
            ("form body", "application/bson", { $0.form() }, [1001]),
            ("BSON body", "application/json", { $0.bson() }, [1001, 1003]),
            ("BSON body", form, { $0.bson() }, [1002, 1003]),
        ]
        for (label, type, render, errcodes) in mismatched {
            let number = billnum()
            cases.append(.rejected("\(label) labelled \(type)", type, render(ScanCodeBill.valid(number)), billnums: [number], errcodes))
        }
        return cases
    }

    // MARK: Odd headers

    static var oddHeaders: [HostileCase] {
        var cases: [HostileCase] = []
        let accepts = [
            String(repeating: "application/xml;q=0.5, ", count: 250) + "*/*", "application/xml;q=abc", "*/*;q=0",
            "application/json;q=2", ";;;,,,", "application/xml; q=0.9; level=1; q=0.1", "\u{4E2D}/\u{6587}",
            String(repeating: "x", count: 6000),
        ]
        for (index, accept) in accepts.enumerated() {
            let number = billnum()
            cases.append(HostileCase(
                name: "odd Accept #\(index) \(String(reflecting: String(accept.prefix(40))))", contentType: "application/json",
                headers: [("Accept", accept)], body: ScanCodeBill.valid(number, billtype: "9").json(), billnums: [number],
                expectation: .rejected(errcodes: [1002])))
        }
        let others: [(String, [(String, String)])] = [
            ("X-Requested-With of 5600 characters", [("X-Requested-With", String(repeating: "XMLHttpRequest", count: 400))]),
            ("Content-Type with 300 parameters", []),
            ("Transfer-Encoding chunked", [("Transfer-Encoding", "chunked")]),
        ]
        for (label, headers) in others {
            let number = billnum()
            let type = label.hasPrefix("Content-Type")
                ? "application/json" + String(repeating: "; p=v", count: 300) : "application/json"
            cases.append(HostileCase(
                name: label, contentType: type, headers: headers, body: ScanCodeBill.valid(number).json(), billnums: [number],
                expectation: .stored(["billnum": number])))
        }
        return cases
    }

    // MARK: Empty and trivial bodies

    static var trivialBodies: [HostileCase] {
        var cases: [HostileCase] = []
        let types = jsonTypes + xmlTypes + formTypes + ["text/json"]
        for type in types {
            cases.append(.rejected("empty body [\(type)]", type, [], billnums: [], [1007]))
            cases.append(.rejected("white space only [\(type)]", type, utf8(" \r\n\t "), billnums: [], [1007]))
        }
        cases.append(.rejected("empty body without a Content-Type", nil, [], billnums: [], [1005, 1007]))
        let json: [(String, String, Set<Int>)] = [
            ("null", "null", [1007]), ("empty array", "[]", [1001]), ("a string", "\"billnum\"", [1001]), ("a number", "123", [1001]),
            ("true", "true", [1001]), ("empty object", "{}", [1002]), ("two objects", "{}{}", [1001]), ("lone brace", "{", [1001]),
            ("lone quote", "\"", [1001]), ("BOM only", "\u{FEFF}", [1007, 1001]),
        ]
        for (label, text, errcodes) in json {
            for type in jsonTypes {
                cases.append(.rejected("JSON \(label) [\(type)]", type, utf8(text), billnums: [], errcodes))
            }
        }
        let xml: [(String, String, Set<Int>)] = [
            ("empty root", "<AliScanCodeParm/>", [1002]), ("other root", "<x/>", [1001]), ("declaration only", "<?xml version=\"1.0\"?>", [1001, 1007]),
            ("comment only", "<!-- -->", [1001, 1007]), ("text only", "billnum", [1001]), ("lone '<'", "<", [1001]),
        ]
        for (label, text, errcodes) in xml {
            for type in xmlTypes {
                cases.append(.rejected("XML \(label) [\(type)]", type, utf8(text), billnums: [], errcodes))
            }
        }
        for (label, text) in [("'='", "="), ("'&'", "&"), ("a key only", "a"), ("'%'", "%"), ("'%zz=%'", "%zz=%")] {
            cases.append(.rejected("form \(label)", form, utf8(text), billnums: [], [1002]))
        }
        return cases
    }

    // MARK: Json.NET leniency the service refuses

    static var jsonLeniency: [HostileCase] {
        var cases: [HostileCase] = []
        let shapes: [(String, (String) -> String)] = [
            ("line comment", { "// c\n" + text(ScanCodeBill.valid($0).json()) }),
            ("block comment inside", { text(ScanCodeBill.valid($0).json()).replacingOccurrences(of: ",", with: "/* c */,") }),
            ("single-quoted strings", { text(ScanCodeBill.valid($0).json()).replacingOccurrences(of: "\"", with: "'") }),
            ("unquoted names", { text(ScanCodeBill.valid($0).json()).replacingOccurrences(of: "\"billtype\"", with: "billtype") }),
            ("trailing comma", { String(text(ScanCodeBill.valid($0).json()).dropLast()) + ",}" }),
            ("text after the root", { text(ScanCodeBill.valid($0).json()) + " trailing" }),
            ("NaN amount", { text(ScanCodeBill.valid($0, amount: "NaN").json()) }),
            ("hex escape", { text(ScanCodeBill.valid($0).setting("body", .token("\"\\x41\"")).json()) }),
        ]
        for (label, make) in shapes {
            for type in jsonTypes {
                let number = billnum()
                cases.append(.rejected("JSON \(label) [\(type)]", type, utf8(make(number)), billnums: [number], [1001]))
            }
        }
        return cases
    }
}
