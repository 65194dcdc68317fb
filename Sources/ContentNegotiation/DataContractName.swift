/// DataContractSerializer's stable names for generic types, e.g. `CommonOperationResultWithTagOfPayScanCodeResultKp9g8rEY`.
public enum DataContractName {
    /// `DataContract.GetDefaultStableLocalName` for a generic type with one level of arguments.
    ///
    /// The CLR name without its arity marker, `Of`, each argument's contract name, then — unless
    /// every argument is a serialization built-in — the digest of the arguments' namespaces.
    public static func generic(_ baseName: String, arguments: [(name: String, namespace: String, isBuiltIn: Bool)]) -> String {
        let names = arguments.map(\.name).joined()
        let suffix = arguments.allSatisfy(\.isBuiltIn) ? "" : namespacesDigest(arguments.map(\.namespace))
        return "\(baseName)Of\(names)\(suffix)"
    }

    /// The 8-character digest: MD5 over UTF-8 `" <count>"` + `" <namespace>"` per argument, first 6 bytes,
    /// standard Base64 with `/` → `_S`, `+` → `_P`, padding dropped.
    public static func namespacesDigest(_ namespaces: [String]) -> String {
        let input = " \(namespaces.count)" + namespaces.map { " \($0)" }.joined()
        let hash = MD5.digest(Array(input.utf8))
        return base64(Array(hash.prefix(6)))
            .replacingAll("/", with: "_S")
            .replacingAll("+", with: "_P")
            .replacingAll("=", with: "")
    }

    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var output = ""
        for start in stride(from: 0, to: bytes.count, by: 3) {
            let chunk = Array(bytes[start..<min(start + 3, bytes.count)])
            let value = chunk.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << UInt32(16 - 8 * $1.offset) }
            for index in 0..<4 {
                output.append(index <= chunk.count ? alphabet[Int(value >> UInt32(18 - 6 * index) & 0x3F)] : "=")
            }
        }
        return output
    }
}

extension String {
    /// Every occurrence of `target` replaced (Foundation-free).
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        for character in self {
            if character == target { result += replacement } else { result.append(character) }
        }
        return result
    }
}
