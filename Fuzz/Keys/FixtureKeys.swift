import Foundation
import RSASigning

/// The test keys in `Tests/AlipayTests/Fixtures`, loaded once per fuzzing process.
///
/// `THREEPAY_FUZZ_FIXTURES` may name another folder holding the same files.
enum FixtureKeys {
    /// The fixtures folder, found from this source file's place in the repository by default.
    static let directory: String = ProcessInfo.processInfo.environment["THREEPAY_FUZZ_FIXTURES"]
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Tests/AlipayTests/Fixtures").path

    /// Alipay's public key: verifies replies and notifications.
    static let alipayPublic: RSAPublicKey = load { try RSAPublicKey(text: text("alipay_public.pem")) }
    /// The stand-in Alipay private key: signs replies and notifications the target builds itself.
    static let alipayPrivate: RSAPrivateKey = load { try RSAPrivateKey(text: text("alipay_private_pkcs1.pem")) }
    /// The merchant key the client signs requests with.
    static let appPrivate: RSAPrivateKey = load { try RSAPrivateKey(text: text("app_private_pkcs1.pem")) }
    /// The APPID the fixtures were made for.
    static let appID = "2021000000000042"

    private static func text(_ name: String) throws -> String {
        try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
    }

    private static func load<Key>(_ make: () throws -> Key) -> Key {
        do { return try make() } catch { fatalError("cannot load a fixture key from \(directory): \(error)") }
    }
}
