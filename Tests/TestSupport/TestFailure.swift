/// A test step that could not be carried out, or a condition that did not come true in time, with a
/// readable reason.
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
