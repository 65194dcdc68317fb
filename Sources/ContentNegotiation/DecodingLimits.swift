import PaymentModel

/// Bounds on what a request body may cost to read, in one place.
///
/// Every reader's work is proportional to the body's size; the counts below also stop a hostile body early.
/// They sit far above what a legitimate client sends (a ScanCode has eight members and no attributes), and a
/// body over any of them is answered 1001 naming the cap.
public struct DecodingLimits: Sendable, Hashable {
    /// Larger bodies are refused with 1004 before any parsing.
    public var maxBodyBytes: Int
    /// Deepest JSON object/array, BSON document or XML element nesting accepted (the root counts as 1).
    public var maxDepth: Int
    /// Most attributes on one XML element, namespace declarations included.
    public var maxAttributes: Int
    /// Most elements in one XML document, the root included.
    public var maxElements: Int
    /// Most members in one JSON object or BSON document, values in one JSON or BSON array, and fields in one
    /// form body or query string.
    public var maxMembers: Int

    public init(
        maxBodyBytes: Int = 65_536, maxDepth: Int = 32, maxAttributes: Int = 64, maxElements: Int = 1_000,
        maxMembers: Int = 256
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.maxDepth = maxDepth
        self.maxAttributes = maxAttributes
        self.maxElements = maxElements
        self.maxMembers = maxMembers
    }
}

extension ServiceError {
    /// 1001 for a body (or query string) that goes over one of the `DecodingLimits` counts; `what` names the
    /// count and the cap, `offset` where the first one too many starts.
    static func overLimit(_ what: String, offset: Int, in source: TextDecoder.Source = .body) -> ServiceError {
        let subject = source == .queryString ? "The query string" : "The request body"
        return ServiceError(
            .bodyUnreadable, message: "\(subject) could not be read: \(what) (at byte \(offset)); send only the documented members."
        )
    }
}
