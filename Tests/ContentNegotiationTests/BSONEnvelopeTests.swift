@testable import ContentNegotiation
import PaymentModel
import XCTest

/// BSON answers: the legacy vectors, and every envelope of the fixtures byte for byte as PyMongo wrote it.
final class BSONEnvelopeTests: XCTestCase {
    /// legacy-compat §7: errcode 0, errmsg "OK", tag B1/42/u.
    func testLegacySuccessVector() {
        let success = Envelope.success(PayScanCodeResult(billnum: "B1", autoid: "42", codeurl: "u"))
        XCTAssertEqual(
            Hex.text(encode(success, as: .bson)),
            Hex.text(Hex.bytes("""
                59000000 10 657272636f646500 00000000 02 6572726d736700 03000000 4f4b00 03 74616700 33000000
                02 62696c6c6e756d00 03000000 423100 02 6175746f696400 03000000 343200 02 636f646575726c00 02000000 7500 00 00
                """))
        )
    }

    /// legacy-compat §7: errcode 1, errmsg "", tag null.
    func testLegacyErrorVector() {
        let error = Envelope<PayScanCodeResult>(errcode: 1, errmsg: "", tag: nil)
        XCTAssertEqual(
            Hex.text(encode(error, as: .bson)),
            "24000000" + "10" + "657272636f646500" + "01000000" + "02" + "6572726d736700" + "01000000" + "00" + "0a" + "74616700" + "00"
        )
    }

    func testUntypedEnvelopeHasANullTag() {
        let bytes = encode(UntypedEnvelope(error: .notFound), as: .bson)
        XCTAssertTrue(Hex.text(bytes).hasSuffix("0a" + "74616700" + "00"), Hex.text(bytes))
    }

    /// A tag type whose members come from a fixture.
    private struct FixtureTag: EnvelopeTag {
        static let xmlRootName = "CommonOperationResultWithTagOfFixtureKp9g8rEY"
        static let contractNamespace = PayScanCodeResult.contractNamespace
        let members: [TagMember]
    }

    func testEveryFixtureAnswerIsByteExact() throws {
        let fixtures = try BSONFixtures.load()
        XCTAssertGreaterThanOrEqual(fixtures.answers.count, 8)
        for answer in fixtures.answers {
            let tag = try answer.tag.map { pairs in
                FixtureTag(members: try pairs.map { pair in
                    XCTAssertEqual(pair.count, 2, answer.name)
                    return TagMember(try XCTUnwrap(pair[0], answer.name), pair[1])
                })
            }
            let envelope = Envelope(errcode: answer.errcode, errmsg: answer.errmsg, tag: tag)
            XCTAssertEqual(Hex.text(encode(envelope, as: .bson)), answer.bson, answer.name)
        }
    }
}
