import Foundation

/// Reads key settings that hold either a file path or the key text itself.
public enum KeySource {
    /// Returns the key text for a setting: the file's contents when `value` names an existing file,
    /// otherwise `value` itself.
    ///
    /// A value is treated as a path when it is one line, is not PEM, and either names an existing
    /// regular file or starts like a path (`/`, `./`, `../`, `~/`); base64 key bodies never start
    /// that way. A file holding a private key (anything that is not a public key) must not be
    /// readable by group or others. Errors name `setting` but never contain `value`.
    public static func load(_ value: String, setting: String) throws -> String {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw KeySourceError(setting: setting, reason: .missing) }
        guard let path = filePath(trimmed) else { return value }
        let text = try readFile(path, setting: setting)
        if !isPublicKey(text) {
            try checkPrivateFileMode(path, setting: setting)
        }
        return text
    }

    /// Loads a private key from a setting (path or key text); errors name the setting only.
    public static func privateKey(_ value: String, setting: String) throws -> RSAPrivateKey {
        let text = try load(value, setting: setting)
        do { return try RSAPrivateKey(text: text) } catch let error as KeyError {
            throw KeySourceError(setting: setting, reason: .invalidKey(error))
        }
    }

    /// Loads a public key from a setting (path or key text); errors name the setting only.
    public static func publicKey(_ value: String, setting: String) throws -> RSAPublicKey {
        let text = try load(value, setting: setting)
        do { return try RSAPublicKey(text: text) } catch let error as KeyError {
            throw KeySourceError(setting: setting, reason: .invalidKey(error))
        }
    }

    /// The path named by `value`, or nil when `value` is key text.
    private static func filePath(_ value: String) -> String? {
        guard !value.contains("\n"), !value.hasPrefix("-----") else { return nil }
        let path = value.hasPrefix("~/") ? NSString(string: value).expandingTildeInPath : value
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            return path
        }
        let looksLikePath = ["/", "./", "../", "~/"].contains { value.hasPrefix($0) }
        return looksLikePath ? path : nil
    }

    private static func readFile(_ path: String, setting: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else {
            throw KeySourceError(setting: setting, reason: .fileNotFound)
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw KeySourceError(setting: setting, reason: .fileUnreadable(String(cString: strerror(errno))))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw KeySourceError(setting: setting, reason: .notText)
        }
        return text
    }

    private static func checkPrivateFileMode(_ path: String, setting: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw KeySourceError(setting: setting, reason: .fileUnreadable(String(cString: strerror(errno))))
        }
        let mode = Int(info.st_mode) & 0o777
        if mode & 0o077 != 0 {
            throw KeySourceError(setting: setting, reason: .permissionsTooOpen(mode: mode))
        }
    }

    /// True when the text decodes as a public key (PEM label or DER), so it needs no mode check.
    private static func isPublicKey(_ text: String) -> Bool {
        guard var keyText = try? KeyText(text) else { return false }
        defer { keyText.wipe() }
        if let label = keyText.label { return label.hasSuffix("PUBLIC KEY") }
        return PKey.decodeSubjectPublicKeyInfo(der: keyText.der) != nil
            || PKey.decodePKCS1Public(der: keyText.der) != nil
    }
}
