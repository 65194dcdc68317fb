import Foundation

/// A private folder for one test (mode 700) under the system's temporary folder, removed by `remove()`.
public struct TemporaryFolder: Sendable {
    public let url: URL
    public var path: String { url.path }

    public init(_ tag: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("threepay-\(tag)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// Writes `text` to `name` with the permission bits `mode`; returns the path.
    @discardableResult
    public func write(_ name: String, _ text: String, mode: Int = 0o600) throws -> String {
        let file = url.appendingPathComponent(name)
        try Data(text.utf8).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file.path)
        return file.path
    }

    public func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
