/// Bounds on what a request body may cost to read.
public struct DecodingLimits: Sendable, Hashable {
    /// Larger bodies are refused with 1004 before any parsing.
    public var maxBodyBytes: Int
    /// Deepest JSON object/array or XML element nesting accepted (the root counts as 1).
    public var maxDepth: Int

    public init(maxBodyBytes: Int = 65_536, maxDepth: Int = 32) {
        self.maxBodyBytes = maxBodyBytes
        self.maxDepth = maxDepth
    }
}
