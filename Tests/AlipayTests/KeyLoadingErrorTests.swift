import Foundation
import RSASigning
import TestSupport
import XCTest

/// Key settings that cannot be loaded, through `KeySource` as the service loads them: given as the key text
/// or as a file. Every error names the setting and says what is wrong; none repeats the key text, nor the
/// value the operator set (a path can say where a key lives).
final class KeyLoadingErrorTests: XCTestCase {
    private static let privateSetting = "THREEPAY_ALIPAY_APP_PRIVATE_KEY"
    private static let publicSetting = "THREEPAY_ALIPAY_PUBLIC_KEY"
    private var keys: TemporaryFolder!

    override func setUpWithError() throws {
        keys = try TemporaryFolder("keys")
    }

    override func tearDown() {
        keys?.remove()
    }

    func testWrongPEMIsRefusedNamingTheSetting() throws {
        let pkcs8 = try Fixtures.text("app_private_pkcs8.pem")
        let body = pkcs8.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined(separator: "\n")
        let cases: [(String, String, KeyError)] = [
            ("mismatched END", "-----BEGIN PRIVATE KEY-----\n\(body)\n-----END RSA PRIVATE KEY-----",
             .notKeyText("PEM END line missing or does not match the BEGIN line")),
            ("no END", "-----BEGIN PRIVATE KEY-----\n\(body)\n",
             .notKeyText("PEM END line missing or does not match the BEGIN line")),
            ("text after END", pkcs8 + "\ntrailing words\n", .notKeyText("text follows the PEM END line")),
            ("header line", "-----BEGIN PRIVATE KEY-----\nComment: mine\n\(body)\n-----END PRIVATE KEY-----",
             .notKeyText("unexpected PEM header line")),
            ("certificate", "-----BEGIN CERTIFICATE-----\n\(body)\n-----END CERTIFICATE-----",
             .unsupportedPEMLabel("CERTIFICATE")),
            ("armour not first", "key:\n" + pkcs8, .notKeyText("PEM armour must start the text")),
            ("encrypted", try Fixtures.text("bad_encrypted_private_pkcs8.pem"), .encrypted),
        ]
        for (name, text, expected) in cases {
            try assertRefused(name, text, as: .privateKey, .invalidKey(expected))
        }
    }

    func testTruncatedBase64IsRefusedNamingTheSetting() throws {
        let oneLine = try Fixtures.text("app_private_pkcs1.oneline.txt").trimmingCharacters(in: .whitespacesAndNewlines)
        let pem = try Fixtures.text("app_private_pkcs1.pem")
        var lines = pem.split(whereSeparator: \.isNewline).map(String.init)
        lines.remove(at: lines.count - 3)  // a whole 64-character line of the body: still base64, the DER is cut
        let undecodable = KeyError.undecodable("not a PKCS#1 or PKCS#8 private key (encrypted keys are not supported)")
        let cases: [(String, String, KeyError)] = [
            ("cut inside a base64 group", String(oneLine.dropLast(3)), .notKeyText("body is not valid base64")),
            ("cut at a base64 group", String(oneLine.prefix(oneLine.count / 2 / 4 * 4)), undecodable),
            ("a PEM line missing", lines.joined(separator: "\n"), undecodable),
            ("only the armour", "-----BEGIN RSA PRIVATE KEY-----\n-----END RSA PRIVATE KEY-----", .notKeyText("no base64 body")),
        ]
        for (name, text, expected) in cases {
            try assertRefused(name, text, as: .privateKey, .invalidKey(expected))
        }
    }

    func testPublicKeyWhereThePrivateKeyBelongsIsRefused() throws {
        for name in ["app_public.pem", "app_public.oneline.txt", "alipay_public_pkcs1.pem"] {
            try assertRefused(name, try Fixtures.text(name), as: .privateKey, .invalidKey(.publicKeyGivenAsPrivate))
        }
        for name in ["app_private_pkcs8.pem", "app_private_pkcs1.oneline.txt"] {
            try assertRefused(name, try Fixtures.text(name), as: .publicKey, .invalidKey(.privateKeyGivenAsPublic))
        }
    }

    func testPrivateKeyFileReadableByOthersIsRefusedAndLoadsOnceTightened() throws {
        let text = try Fixtures.text("app_private_pkcs8.pem")
        for mode in [0o644, 0o640, 0o604, 0o660, 0o666, 0o700 | 0o004] {
            let path = try keys.write("loose-\(String(mode, radix: 8)).pem", text, mode: mode)
            try assertRefused("mode \(String(mode, radix: 8))", path, as: .privateKey, .permissionsTooOpen(mode: mode),
                              keyText: text)
            XCTAssertEqual(chmod(path, 0o600), 0)
            XCTAssertEqual(try KeySource.privateKey(path, setting: Self.privateSetting).bits, 2048, "control: 600 loads")
        }
    }

    func testBrokenKeyInAFileIsRefusedLikeKeyText() throws {
        let oneLine = try Fixtures.text("app_private_pkcs1.oneline.txt").trimmingCharacters(in: .whitespacesAndNewlines)
        let truncated = try keys.write("truncated.key", String(oneLine.dropLast(3)), mode: 0o600)
        try assertRefused("truncated file", truncated, as: .privateKey, .invalidKey(.notKeyText("body is not valid base64")),
                          keyText: oneLine)
        let publicInstead = try keys.write("public.pem", try Fixtures.text("app_public.pem"), mode: 0o600)
        try assertRefused("public key file", publicInstead, as: .privateKey, .invalidKey(.publicKeyGivenAsPrivate),
                          keyText: try Fixtures.text("app_public.pem"))
        let binary = keys.url.appendingPathComponent("binary.der").path
        try Data([0x30, 0x82, 0xFF, 0xFE, 0xC0]).write(to: URL(fileURLWithPath: binary))
        XCTAssertEqual(chmod(binary, 0o600), 0)
        try assertRefused("binary file", binary, as: .privateKey, .notText)
    }

    // MARK: Helpers

    private enum Kind { case privateKey, publicKey }

    /// Loads `value` as the setting of `kind` and checks the refusal: `reason`, the setting's name first, and
    /// neither the value nor any run of `keyText` (the value itself when not given) in any printed form.
    private func assertRefused(
        _ name: String, _ value: String, as kind: Kind, _ reason: KeySourceError.Reason, keyText: String? = nil,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let setting = kind == .privateKey ? Self.privateSetting : Self.publicSetting
        do {
            switch kind {
            case .privateKey: _ = try KeySource.privateKey(value, setting: setting)
            case .publicKey: _ = try KeySource.publicKey(value, setting: setting)
            }
            XCTFail("\(name): loaded", file: file, line: line)
        } catch {
            let sourceError = try XCTUnwrap(error as? KeySourceError, "\(name): \(error)", file: file, line: line)
            XCTAssertEqual(sourceError.setting, setting, name, file: file, line: line)
            XCTAssertEqual(sourceError.reason, reason, name, file: file, line: line)
            var dumped = ""
            dump(error, to: &dumped)
            for text in ["\(error)", String(reflecting: error), dumped] {
                XCTAssertTrue(text.contains(setting), "\(name): the setting is named in \(text)", file: file, line: line)
                XCTAssertFalse(text.contains(value.trimmingCharacters(in: .whitespacesAndNewlines)),
                               "\(name): the value is repeated", file: file, line: line)
                XCTAssertNoKeyMaterial(text, keyText: keyText ?? value, file: file, line: line)
            }
            XCTAssertTrue("\(error)".hasPrefix(setting + ": "), "\(name): \(error)", file: file, line: line)
        }
    }
}
