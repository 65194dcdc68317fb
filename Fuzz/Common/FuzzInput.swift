import Glibc

/// The bytes libFuzzer hands to `LLVMFuzzerTestOneInput`, copied into a Swift array.
func fuzzBytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

extension Array where Element == UInt8 {
    /// The first byte (a target's mode selector) and the rest; nil for empty input.
    func splitSelector() -> (selector: UInt8, rest: [UInt8])? {
        guard let first else { return nil }
        return (first, Array(self[1...]))
    }

    /// Up to `count` pieces split at `separator` (the last piece keeps any further separators).
    func pieces(_ count: Int, separator: UInt8 = 0x0A) -> [[UInt8]] {
        split(separator: separator, maxSplits: count - 1, omittingEmptySubsequences: false).map(Array.init)
    }
}

/// A header value the way the FastCGI layer builds it from a C string: cut at the first NUL, invalid
/// UTF-8 repaired.
func headerText(_ bytes: [UInt8]) -> String {
    String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
}

/// Stops the run with a message when a property the target checks does not hold; libFuzzer then
/// saves the input. (Unlike `precondition`, the message is kept in optimized builds.)
func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String) {
    guard !condition else { return }
    let line = Array("fuzz check failed: \(message())\n".utf8)
    _ = line.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count) }
    abort()
}
