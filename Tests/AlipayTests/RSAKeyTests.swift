import Foundation
import RSASigning
import XCTest

/// Key loading and RSA2 signing in the RSASigning module.
final class RSAKeyTests: XCTestCase {
    private func appKeyForms() throws -> [String: String] {
        let pkcs1 = try Fixtures.text("app_private_pkcs1.pem")
        let wrappedBody = pkcs1.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined(separator: "\n")
        return [
            "PKCS#1 PEM": pkcs1,
            "PKCS#8 PEM": try Fixtures.text("app_private_pkcs8.pem"),
            "PKCS#1 one line": try Fixtures.text("app_private_pkcs1.oneline.txt"),
            "PKCS#8 one line": try Fixtures.text("app_private_pkcs8.oneline.txt"),
            "PKCS#1 wrapped body": wrappedBody,
            "PKCS#8 one line, padded": "  \n" + (try Fixtures.text("app_private_pkcs8.oneline.txt")) + "\r\n\t",
            "PKCS#1 PEM, CRLF": pkcs1.replacingOccurrences(of: "\n", with: "\r\n"),
        ]
    }

    func testEveryPrivateKeyFormSignsTheSDKVectorByteForByte() throws {
        let vector = try Fixtures.vectors().request("precreate")
        for (form, text) in try appKeyForms() {
            let key = try RSAPrivateKey(text: text)
            XCTAssertEqual(key.bits, 2048, form)
            let signature = try key.sign(sha256: Array(vector.stringToSign.utf8))
            XCTAssertEqual(Data(signature).base64EncodedString(), vector.sign, form)
        }
    }

    func testPublicHalfMatchesThePublishedPublicKey() throws {
        let key = try RSAPrivateKey(text: try Fixtures.text("app_private_pkcs8.pem"))
        let published = try Fixtures.text("app_public.oneline.txt")
        XCTAssertEqual(key.publicKey.spkiBase64, published)
        XCTAssertEqual(key.publicKey.bits, 2048)
    }

    func testEveryPublicKeyFormVerifies() throws {
        let vector = try Fixtures.vectors().request("query_isv")
        let signature = [UInt8](try XCTUnwrap(Data(base64Encoded: vector.sign)))
        let message = Array(vector.stringToSign.utf8)
        let published = try Fixtures.text("app_public.oneline.txt")
        for name in ["app_public.pem", "app_public.oneline.txt", "app_public_pkcs1.pem"] {
            let key = try RSAPublicKey(text: try Fixtures.text(name))
            XCTAssertTrue(key.verify(sha256: signature, message: message), name)
            XCTAssertEqual(key.spkiBase64, published, name)
        }
    }

    func testVerifyRejectsTamperedMessageAndSignature() throws {
        let vector = try Fixtures.vectors().request("precreate")
        let key = try RSAPublicKey(text: try Fixtures.text("app_public.pem"))
        var signature = [UInt8](try XCTUnwrap(Data(base64Encoded: vector.sign)))
        let message = Array(vector.stringToSign.utf8)
        XCTAssertTrue(key.verify(sha256: signature, message: message))
        XCTAssertFalse(key.verify(sha256: signature, message: Array(vector.stringToSign.replacingOccurrences(
            of: "88.88", with: "0.01").utf8)))
        signature[10] ^= 0x01
        XCTAssertFalse(key.verify(sha256: signature, message: message))
        XCTAssertFalse(key.verify(sha256: [], message: message))
        XCTAssertFalse(key.verify(sha256: Array(signature.prefix(100)), message: message))
        let otherKey = try RSAPublicKey(text: try Fixtures.text("alipay_public.pem"))
        signature[10] ^= 0x01
        XCTAssertFalse(otherKey.verify(sha256: signature, message: message), "a different key must not verify")
    }

    func testSigningIsSafeFromManyThreadsAtOnce() throws {
        let vector = try Fixtures.vectors().request("precreate")
        let key = try RSAPrivateKey(text: try Fixtures.text("app_private_pkcs1.pem"))
        let message = Array(vector.stringToSign.utf8)
        let results = ResultBox(count: 64)
        DispatchQueue.concurrentPerform(iterations: 64) { index in
            let signature = (try? key.sign(sha256: message)).map { Data($0).base64EncodedString() }
            let verified = key.publicKey.verify(sha256: (try? key.sign(sha256: message)) ?? [], message: message)
            results.set(index, verified ? signature : nil)
        }
        XCTAssertEqual(results.values, Array(repeating: vector.sign, count: 64))
    }

    func testUnusablePrivateKeysAreRefusedWithoutEchoingKeyText() throws {
        let pkcs1 = try Fixtures.text("app_private_pkcs1.oneline.txt")
        let withTrailingBytes = (try XCTUnwrap(Data(base64Encoded: pkcs1)) + [0x05, 0x00]).base64EncodedString()
        let cases: [(String, String, KeyError)] = [
            ("garbage", "this is not a key at all!", .notKeyText("body is not valid base64")),
            ("EC PKCS#8", try Fixtures.text("bad_ec_private_pkcs8.pem"), .notRSA("EC")),
            ("EC SEC1", try Fixtures.text("bad_ec_private_sec1.pem"), .notRSA("EC")),
            ("1024-bit", try Fixtures.text("bad_rsa1024_private_pkcs1.pem"), .tooSmall(bits: 1024, minimum: 2048)),
            ("RSA-PSS", try Fixtures.text("bad_rsa_pss_private.pem"), .notRSA("RSA-PSS")),
            ("encrypted", try Fixtures.text("bad_encrypted_private_pkcs8.pem"), .encrypted),
            ("public PEM", try Fixtures.text("app_public.pem"), .publicKeyGivenAsPrivate),
            ("public one line", try Fixtures.text("app_public.oneline.txt"), .publicKeyGivenAsPrivate),
            ("empty", " \n ", .empty),
            ("truncated", String(pkcs1.dropLast(40)),
             .undecodable("not a PKCS#1 or PKCS#8 private key (encrypted keys are not supported)")),
            ("trailing DER bytes", withTrailingBytes,
             .undecodable("not a PKCS#1 or PKCS#8 private key (encrypted keys are not supported)")),
            ("certificate", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
             .unsupportedPEMLabel("CERTIFICATE")),
            ("mismatched END", "-----BEGIN PRIVATE KEY-----\n\(pkcs1)\n-----END RSA PRIVATE KEY-----",
             .notKeyText("PEM END line missing or does not match the BEGIN line")),
        ]
        for (name, text, expected) in cases {
            XCTAssertThrowsError(try RSAPrivateKey(text: text), name) { error in
                XCTAssertEqual(error as? KeyError, expected, name)
                XCTAssertNoKeyMaterial("\(error)", keyText: text)
                XCTAssertNoKeyMaterial(String(reflecting: error), keyText: text)
            }
        }
    }

    func testUnusablePublicKeysAreRefused() throws {
        let cases: [(String, String, KeyError)] = [
            ("private PEM", try Fixtures.text("app_private_pkcs8.pem"), .privateKeyGivenAsPublic),
            ("private one line", try Fixtures.text("app_private_pkcs1.oneline.txt"), .privateKeyGivenAsPublic),
            ("EC public", try Fixtures.text("bad_ec_public.pem"), .notRSA("EC")),
            ("1024-bit public", try Fixtures.text("bad_rsa1024_public.pem"), .tooSmall(bits: 1024, minimum: 2048)),
            ("base64 of nothing useful", "AAAAAAAA",
             .undecodable("not an X.509 SubjectPublicKeyInfo or PKCS#1 RSAPublicKey")),
        ]
        for (name, text, expected) in cases {
            XCTAssertThrowsError(try RSAPublicKey(text: text), name) { error in
                XCTAssertEqual(error as? KeyError, expected, name)
                XCTAssertNoKeyMaterial("\(error)", keyText: text)
            }
        }
    }
}

/// Collects per-iteration results from concurrent work.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String?]

    init(count: Int) {
        storage = Array(repeating: nil, count: count)
    }

    func set(_ index: Int, _ value: String?) {
        lock.lock()
        storage[index] = value
        lock.unlock()
    }

    var values: [String?] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}
