import Foundation
import RSASigning
import TestSupport
import XCTest

/// `KeySource`: settings that hold a key file path or the key text.
final class KeySourceTests: XCTestCase {
    private var keys: TemporaryFolder!

    override func setUpWithError() throws {
        keys = try TemporaryFolder("keys")
    }

    override func tearDown() {
        keys?.remove()
    }

    func testKeyTextIsReturnedAsIs() throws {
        let text = try Fixtures.text("app_private_pkcs1.oneline.txt")
        XCTAssertEqual(try KeySource.load(text, setting: "THREEPAY_ALIPAY_APP_PRIVATE_KEY"), text)
        let pem = try Fixtures.text("app_private_pkcs8.pem")
        XCTAssertEqual(try KeySource.load(pem, setting: "THREEPAY_ALIPAY_APP_PRIVATE_KEY"), pem)
    }

    func testPrivateKeyFileWithOwnerOnlyModeLoads() throws {
        let text = try Fixtures.text("app_private_pkcs1.pem")
        let path = try keys.write("app.pem", text, mode: 0o600)
        XCTAssertEqual(try KeySource.load(path, setting: "THREEPAY_ALIPAY_APP_PRIVATE_KEY"), text)
        let key = try KeySource.privateKey(path, setting: "THREEPAY_ALIPAY_APP_PRIVATE_KEY")
        XCTAssertEqual(key.bits, 2048)
    }

    func testPrivateKeyFileReadableByOthersIsRefused() throws {
        for (name, mode) in [("pem", 0o644), ("oneline", 0o640), ("other", 0o604)] {
            let text = try Fixtures.text(name == "pem" ? "app_private_pkcs8.pem" : "app_private_pkcs8.oneline.txt")
            let path = try keys.write("\(name).key", text, mode: mode)
            XCTAssertThrowsError(try KeySource.load(path, setting: "THREEPAY_ALIPAY_APP_PRIVATE_KEY")) { error in
                let sourceError = error as? KeySourceError
                XCTAssertEqual(sourceError?.reason, .permissionsTooOpen(mode: mode))
                XCTAssertTrue("\(error)".contains("THREEPAY_ALIPAY_APP_PRIVATE_KEY"))
                XCTAssertTrue("\(error)".contains("chmod 600"))
                XCTAssertFalse("\(error)".contains(path), "errors never repeat the value")
            }
        }
    }

    func testPublicKeyFileMayBeWorldReadable() throws {
        let pem = try keys.write("alipay.pem", try Fixtures.text("alipay_public.pem"), mode: 0o644)
        let oneLine = try keys.write("alipay.txt", try Fixtures.text("alipay_public.oneline.txt"), mode: 0o644)
        let expected = try Fixtures.text("alipay_public.oneline.txt")
        XCTAssertEqual(try KeySource.publicKey(pem, setting: "THREEPAY_ALIPAY_PUBLIC_KEY").spkiBase64, expected)
        XCTAssertEqual(try KeySource.publicKey(oneLine, setting: "THREEPAY_ALIPAY_PUBLIC_KEY").spkiBase64, expected)
    }

    func testMissingFileAndEmptySettingNameTheSettingOnly() throws {
        let missing = keys.url.appendingPathComponent("nope.pem").path
        XCTAssertThrowsError(try KeySource.load(missing, setting: "THREEPAY_ALIPAY_APP_PRIVATE_KEY")) { error in
            XCTAssertEqual((error as? KeySourceError)?.reason, .fileNotFound)
            XCTAssertEqual("\(error)", "THREEPAY_ALIPAY_APP_PRIVATE_KEY: the key file does not exist")
        }
        XCTAssertThrowsError(try KeySource.load("  ", setting: "THREEPAY_ALIPAY_PUBLIC_KEY")) { error in
            XCTAssertEqual("\(error)", "THREEPAY_ALIPAY_PUBLIC_KEY: not set")
        }
    }

    func testInvalidKeyTextIsReportedUnderTheSettingName() throws {
        let ec = try Fixtures.text("bad_ec_private_pkcs8.pem")
        XCTAssertThrowsError(try KeySource.privateKey(ec, setting: "THREEPAY_ALIPAY_APP_PRIVATE_KEY")) { error in
            XCTAssertEqual((error as? KeySourceError)?.reason, .invalidKey(.notRSA("EC")))
            XCTAssertTrue("\(error)".hasPrefix("THREEPAY_ALIPAY_APP_PRIVATE_KEY: not an RSA key (EC)"))
            XCTAssertNoKeyMaterial("\(error)", keyText: ec)
        }
        let appPrivate = try Fixtures.text("app_private_pkcs1.oneline.txt")
        XCTAssertThrowsError(try KeySource.publicKey(appPrivate, setting: "THREEPAY_ALIPAY_PUBLIC_KEY")) { error in
            XCTAssertEqual((error as? KeySourceError)?.reason, .invalidKey(.privateKeyGivenAsPublic))
            XCTAssertNoKeyMaterial("\(error)", keyText: appPrivate)
        }
    }
}
