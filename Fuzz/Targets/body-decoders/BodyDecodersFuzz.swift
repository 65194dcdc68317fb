import BSON
import ContentNegotiation
import PaymentModel

/// Content types the first input byte picks from (mode 0 and 1): every reader, several spellings
/// and charsets, including the GBK family, UTF-16/32 and names only iconv knows.
private let contentTypes: [String?] = [
    "application/json", "text/json", "application/json; charset=utf-8", "application/json; charset=gbk",
    "application/json; charset=utf-16", "application/json; charset=utf-16be", "text/json; charset=GB18030",
    "*/*", "application/xml", "text/xml", "application/xml; charset=utf-8", "text/xml; charset=gb2312",
    "application/xml; charset=utf-16le", "application/xml; charset=utf-32", "text/xml; charset=big5",
    "application/xml; charset=iso-8859-1", "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-8", "application/x-www-form-urlencoded; charset=gbk",
    "application/x-www-form-urlencoded; charset=cp936", "application/x-www-form-urlencoded; charset=iso-8859-1",
    "application/x-www-form-urlencoded; charset=shift_jis", "application/json; charset=euc-kr",
    "application/json; charset=utf-7", "application/xml; charset=\"UTF-8\"", "Application/JSON ; Charset = utf-8",
    "text/plain", "application/bson", nil, "application/json; charset=ucs-2", "text/xml; charset=ISO-2022-JP",
    "application/x-www-form-urlencoded; charset=utf-16",
]

/// Small limits, so the size and depth refusals are reached too (mode 1).
private let tightLimits = DecodingLimits(maxBodyBytes: 512, maxDepth: 4)

/// One input: selector byte, then
/// - mode 0 (`0x00-0x3F`): a body decoded with `contentTypes[selector % 32]` and default limits;
/// - mode 1 (`0x40-0x7F`): the same with tight limits;
/// - mode 2 (`0x80-0xBF`): `Content-Type` line, LF, body (any charset name reaches iconv);
/// - mode 3 (`0xC0-0xFF`): `Accept` LF `Content-Type` LF `X-Requested-With` for negotiation;
///   selector bits 0-2 make each header absent.
/// Every decoded body is validated, and every outcome is encoded as an answer in every format.
@_cdecl("LLVMFuzzerTestOneInput")
public func bodyDecodersFuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let (selector, rest) = fuzzBytes(data, size).splitSelector() else { return 0 }
    switch selector >> 6 {
    case 0: decodeAndAnswer(contentTypes[Int(selector) % contentTypes.count], rest, DecodingLimits())
    case 1: decodeAndAnswer(contentTypes[Int(selector) % contentTypes.count], rest, tightLimits)
    case 2:
        let parts = rest.pieces(2)
        decodeAndAnswer(headerText(parts[0]), parts.count > 1 ? parts[1] : [], DecodingLimits())
    default:
        let parts = rest.pieces(3)
        func header(_ index: Int) -> String? {
            guard selector & (1 << index) == 0, index < parts.count else { return nil }
            return headerText(parts[index])
        }
        let negotiated = ContentNegotiator.negotiate(accept: header(0), contentType: header(1), xRequestedWith: header(2))
        fuzzCheck(negotiated.contentType.hasSuffix("; charset=utf-8"), "answer charset")
        checkAnswer(UntypedEnvelope(errcode: 1005, errmsg: "x", tag: nil).encoded(as: negotiated.format), negotiated.format)
    }
    return 0
}

/// Decodes, validates and encodes the answer the service would give.
private func decodeAndAnswer(_ contentType: String?, _ body: [UInt8], _ limits: DecodingLimits) {
    let outcome = decodeScanCode(contentType: contentType, body: body, limits: limits)
        .flatMap(ScanCodeValidator.validate)
    for format in [ResponseFormat.json, .xml, .bson] {
        switch outcome {
        case .success(let request):
            let tag = PayScanCodeResult(billnum: request.billnum, autoid: request.paymentvalue.description,
                                        codeurl: request.detail ?? request.body)
            checkAnswer(Envelope.success(tag).encoded(as: format), format)
        case .failure(let error):
            checkAnswer(Envelope<PayScanCodeResult>(error: error).encoded(as: format), format)
        }
    }
}

/// JSON and XML answers are always valid UTF-8; a BSON answer is a document of errcode, errmsg and tag that
/// reads back. Anything else is a finding.
private func checkAnswer(_ bytes: [UInt8], _ format: ResponseFormat) {
    guard format == .bson else {
        return fuzzCheck(String(validating: bytes, as: UTF8.self) != nil, "answer is not UTF-8")
    }
    let members = try? BSONReader.members(of: bytes, maxDepth: 2)
    fuzzCheck(members?.map(\.name) == ["errcode", "errmsg", "tag"], "BSON answer does not read back")
}
