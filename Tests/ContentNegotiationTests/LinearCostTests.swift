import BSON
import ContentNegotiation
import Glibc
import XCTest

/// Every reader's cost grows in proportion to what it reads: for each hostile shape, a body with eight times as
/// many attributes, declarations, elements, members or fields costs less than 30 times the CPU time.
///
/// Why CPU time and not a counter of steps: the super-linear spots these readers had (a repeated-attribute check
/// scanning every attribute read so far, each element copying every namespace declaration in scope) sat in code
/// that no counter would have been put in; a counter proves only what it counts, while time catches such a spot
/// wherever it is. No duration is asserted: the test compares two sizes of the same shape in the same process,
/// each the fastest of three runs after a warm-up, measured as this thread's CPU time so that other processes on
/// the machine do not count. Linear work gives a ratio near 8 and quadratic work near 64; 30 leaves room for a
/// noisy machine on either side.
final class LinearCostTests: XCTestCase {
    /// The caps lifted: with them a hostile body stops early, which would hide the readers' own growth.
    private let uncapped = DecodingLimits(maxBodyBytes: 1 << 22, maxAttributes: .max, maxElements: .max, maxMembers: .max)
    private let valid = "<billnum>B1</billnum>"

    private func cpuSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    private func fastest(of runs: Int, _ work: () -> Void) -> Double {
        (0..<runs).map { _ in
            let start = cpuSeconds()
            work()
            return cpuSeconds() - start
        }.min()!
    }

    /// Reads `make(count)` and `make(8 × count)` with `read` (which must succeed: a body refused early would cost
    /// nothing) and compares their costs.
    private func assertLinear(
        _ shape: String, count: Int, _ make: (Int) -> [UInt8], read: ([UInt8]) -> Bool,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let small = make(count)
        let large = make(count * 8)
        guard read(small), read(large) else { return XCTFail("\(shape): the body was refused", file: file, line: line) }
        let ratio = fastest(of: 3) { _ = read(large) } / fastest(of: 3) { _ = read(small) }
        XCTAssertLessThan(ratio, 30, "\(shape): 8× the input cost \(ratio)× the CPU time", file: file, line: line)
    }

    /// Decodes a ScanCode body without the caps; true when it was read and billnum came out as B1.
    private func decodes(_ contentType: String) -> ([UInt8]) -> Bool {
        { body in (try? decodeScanCode(contentType: contentType, body: body, limits: self.uncapped).get())?.billnum == "B1" }
    }

    private func text(_ count: Int, _ piece: (Int) -> String) -> String {
        (0..<count).map(piece).joined()
    }

    func testXMLAttributesAndNamespaceDeclarations() {
        let xml = decodes("application/xml")
        assertLinear("attributes on the root", count: 2_000, { n in
            Body.utf8("<AliScanCodeParm" + self.text(n) { " a\($0)=\"x\"" } + ">" + self.valid + "</AliScanCodeParm>")
        }, read: xml)
        assertLinear("prefixed attributes", count: 2_000, { n in
            Body.utf8("<AliScanCodeParm xmlns:p=\"urn:p\"" + self.text(n) { " p:a\($0)=\"x\"" } + ">" + self.valid + "</AliScanCodeParm>")
        }, read: xml)
        assertLinear("namespace declarations on the root", count: 2_000, { n in
            Body.utf8("<AliScanCodeParm" + self.text(n) { " xmlns:p\($0)=\"urn:\($0)\"" } + ">" + self.valid + "</AliScanCodeParm>")
        }, read: xml)
        assertLinear("declarations in scope, children declaring more", count: 1_000, { n in
            Body.utf8("<AliScanCodeParm" + self.text(n) { " xmlns:p\($0)=\"urn:\($0)\"" } + ">"
                      + String(repeating: "<u xmlns:q=\"urn:q\" q:a=\"1\"/>", count: n) + self.valid + "</AliScanCodeParm>")
        }, read: xml)
    }

    func testXMLElementsAndText() {
        let xml = decodes("application/xml")
        assertLinear("elements", count: 2_000, { n in
            Body.utf8("<AliScanCodeParm>" + String(repeating: "<u><v/></u>", count: n) + self.valid + "</AliScanCodeParm>")
        }, read: xml)
        assertLinear("text pieces and references in a member", count: 2_000, { n in
            Body.utf8("<AliScanCodeParm><body>" + String(repeating: "a<!---->&amp;&#x4e2d;", count: n) + "</body>"
                      + self.valid + "</AliScanCodeParm>")
        }, read: xml)
    }

    func testJSONMembersAndValues() {
        let json = decodes("application/json")
        assertLinear("members", count: 1_000, { n in
            Body.utf8("{" + self.text(n) { "\"u\($0)\":1," } + "\"billnum\":\"B1\"}")
        }, read: json)
        assertLinear("case variants of a member", count: 1_000, { n in
            Body.utf8("{" + String(repeating: "\"BillNum\":\"B0\",", count: n) + "\"billnum\":\"B1\"}")
        }, read: json)
        assertLinear("values in an array", count: 4_000, { n in
            Body.utf8("{\"x\":[" + String(repeating: "[1],", count: n) + "1],\"billnum\":\"B1\"}")
        }, read: json)
    }

    func testFormAndQueryStringFields() {
        assertLinear("form fields", count: 1_000, { n in
            Body.utf8(self.text(n) { "u\($0)=1&" } + "billnum=B1")
        }, read: decodes("application/x-www-form-urlencoded"))
        assertLinear("form fields in GBK", count: 500, { n in
            Body.utf8(String(repeating: "%C3%C5=%C6%B1&", count: n) + "billnum=B1")
        }, read: decodes("application/x-www-form-urlencoded; charset=GBK"))
        assertLinear("query string fields", count: 1_000, { n in
            Body.utf8(self.text(n) { "u\($0)=1&" } + "billnum=B1")
        }, read: { body in
            let query = String(decoding: body, as: UTF8.self)
            let decoded = RequestBodyDecoder.decodeQueryString(query, schema: ScanCodeContract.schema, limits: self.uncapped)
            return (try? decoded.get())?.string("billnum") == "B1"
        })
    }

    func testBSONMembersAndValues() {
        let bson = decodes("application/bson")
        assertLinear("members", count: 1_000, { n in
            BSONWriter.document((0..<n).map { BSONMember("u\($0)", .int32(1)) } + [BSONMember("billnum", .string("B1"))])
        }, read: bson)
        assertLinear("values in an array", count: 1_000, { n in
            BSONWriter.document([BSONMember("x", .array(Array(repeating: .document([]), count: n))), BSONMember("billnum", .string("B1"))])
        }, read: bson)
    }

    func testCharsetConversion() {
        assertLinear("UTF-16 text", count: 2_000, { n in
            Array("{\"body\":\"\(String(repeating: "门票", count: n))\",\"billnum\":\"B1\"}".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        }, read: decodes("application/json; charset=utf-16"))
        assertLinear("GB18030 text", count: 2_000, { n in
            Body.utf8("{\"body\":\"") + Array(repeating: [0xC3, 0xC5, 0xC6, 0xB1], count: n).joined() + Body.utf8("\",\"billnum\":\"B1\"}")
        }, read: decodes("application/json; charset=GBK"))
    }

    func testAcceptHeaders() {
        assertLinear("Accept entries", count: 200, { n in
            Body.utf8((0..<n).map { "text/x\($0);q=0.\($0 % 10);a=b" }.joined(separator: ", ") + ", application/xml")
        }, read: { header in
            ContentNegotiator.negotiate(accept: String(decoding: header, as: UTF8.self), contentType: nil, xRequestedWith: nil).format == .xml
        })
    }
}
