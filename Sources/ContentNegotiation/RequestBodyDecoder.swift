import PaymentModel

/// Turns a request's Content-Type and body into contract members, or the `ServiceError` to answer.
public enum RequestBodyDecoder {
    /// Decodes `body` against `schema`.
    ///
    /// Order of checks: size (1004) → empty body (1007) → Content-Type missing, unreadable or not
    /// JSON/XML/form/BSON (1005) → charset (1003) → syntax (1001, 1006; whitespace-only or `null` → 1007), with
    /// the depth and counts of `limits` checked as the body is read (1001).
    /// JSON is read for `application/json`, `text/json` (and ranges such as `*/*`), XML for
    /// `application/xml`, `text/xml`, forms for `application/x-www-form-urlencoded`, BSON for
    /// `application/bson` (always UTF-8, whatever charset is declared).
    public static func decode(
        contentType: String?, body: [UInt8], schema: RequestSchema, limits: DecodingLimits = DecodingLimits()
    ) -> Result<DecodedFields, ServiceError> {
        guard body.count <= limits.maxBodyBytes else { return .failure(.bodyTooLarge(limit: limits.maxBodyBytes)) }
        guard !body.isEmpty else { return .failure(.emptyBody) }
        guard let mediaType = contentType.flatMap(MediaType.init(parsing:)) else {
            return .failure(.unsupportedMediaType(nil))
        }
        guard let format = RequestFormat.reader(for: mediaType) else {
            return .failure(.unsupportedMediaType(mediaType.essence))
        }
        let charset = mediaType.charset.map(Charset.init)
        switch format {
        case .json: return JSONBodyDecoder.decode(body, charset: charset, schema: schema, limits: limits)
        case .xml: return XMLBodyDecoder.decode(body, charset: charset, schema: schema, limits: limits)
        case .form: return FormBodyDecoder.decode(body, charset: charset, schema: schema, limits: limits)
        case .bson: return BSONBodyDecoder.decode(body, schema: schema, limits: limits)
        }
    }

    /// Decodes a URL's query string against `schema` with the form rules (UTF-8, first occurrence wins).
    ///
    /// Failures speak of the query string, not of a body. An empty query string holds no members; more than
    /// `limits.maxMembers` fields is 1001.
    public static func decodeQueryString(
        _ query: String, schema: RequestSchema, limits: DecodingLimits = DecodingLimits()
    ) -> Result<DecodedFields, ServiceError> {
        let bytes = Array(query.utf8)
        guard !bytes.allSatisfy(XMLReader.isSpace) else { return .success(DecodedFields(format: .form, values: [:])) }
        return FormBodyDecoder.decode(bytes, charset: nil, schema: schema, limits: limits, source: .queryString)
    }
}
