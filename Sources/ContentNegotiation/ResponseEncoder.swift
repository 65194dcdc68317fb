/// Encodes an envelope in the negotiated format: UTF-8 text (no BOM) or one BSON document.
public func encode<Tag>(_ envelope: Envelope<Tag>, as format: ResponseFormat) -> [UInt8] {
    switch format {
    case .json: return JSONEnvelopeWriter.write(envelope)
    case .xml: return XMLEnvelopeWriter.write(envelope)
    case .bson: return BSONEnvelopeWriter.write(envelope)
    }
}

extension Envelope {
    /// This envelope encoded in `format` (same as `encode(_:as:)`).
    public func encoded(as format: ResponseFormat) -> [UInt8] {
        encode(self, as: format)
    }
}
