/// Why a key setting could not be turned into key text or a key; names the setting, never its value.
public struct KeySourceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Reason: Sendable, Equatable {
        /// The setting is empty.
        case missing
        /// The value looks like a file path but no such file exists.
        case fileNotFound
        /// The file exists but could not be read (the text is the system's reason).
        case fileUnreadable(String)
        /// A private key file is readable by group or others; the value is the file mode, e.g. 0o644.
        case permissionsTooOpen(mode: Int)
        /// The file is not UTF-8 text.
        case notText
        /// The text was read but is not a usable key.
        case invalidKey(KeyError)
    }

    /// The name of the setting, e.g. `THREEPAY_ALIPAY_APP_PRIVATE_KEY`.
    public let setting: String
    public let reason: Reason

    public init(setting: String, reason: Reason) {
        self.setting = setting
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .missing:
            "\(setting): not set"
        case .fileNotFound:
            "\(setting): the key file does not exist"
        case .fileUnreadable(let why):
            "\(setting): the key file cannot be read (\(why))"
        case .permissionsTooOpen(let mode):
            "\(setting): the private key file has mode 0\(String(mode, radix: 8)); "
                + "it must not be readable by group or others (chmod 600)"
        case .notText:
            "\(setting): the key file is not UTF-8 text"
        case .invalidKey(let error):
            "\(setting): \(error)"
        }
    }
}
