import ContentNegotiation
import Foundation
import PaymentModel
@testable import ThreePayApp
import XCTest

/// The envelope root names are constants in the product; here each is derived again as DataContractSerializer
/// named `CommonOperationResultWithTag<T>`, so a constant that drifts from .NET's name fails.
final class RootNameDerivationTests: XCTestCase {
    func testEveryTagsRootNameIsTheDotNetName() throws {
        XCTAssertEqual(PayScanCodeResult.xmlRootName, try DotNetContractName.generic("PayScanCodeResult", PayScanCodeResult.self))
        XCTAssertEqual(PayQueryResult.xmlRootName, try DotNetContractName.generic("PayQueryResult", PayQueryResult.self))
        XCTAssertEqual(HealthResult.xmlRootName, try DotNetContractName.generic("HealthResult", HealthResult.self))
        XCTAssertEqual(NoTag.xmlRootName, try DotNetContractName.generic("anyType", NoTag.self))
    }

    func testDerivationKnownAnswers() throws {
        let resultNamespace = "http://schemas.datacontract.org/2004/07/DigitalScience.DataTransfer.Tour.V5.Result.Pay"
        XCTAssertEqual(try DotNetContractName.namespacesDigest([resultNamespace]), "Kp9g8rEY")
        // The first 6 bytes of MD5(" 1 urn:a") are `KNLmLy+z` in Base64.
        XCTAssertEqual(try DotNetContractName.namespacesDigest(["urn:a"]), "KNLmLy_Pz")
        XCTAssertEqual(Data([0xFB, 0xFF]).base64EncodedString(), "+/8=")
        XCTAssertEqual(DotNetContractName.renamed("+/8="), "_P_S8")
        let vectors = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("12345678901234567890123456789012345678901234567890123456789012345678901234567890", "57edf4a22be3c955ac49da2e2107b67a"),
        ]
        for (input, expected) in vectors {
            let hex = try DotNetContractName.md5(Array(input.utf8)).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            XCTAssertEqual(hex, expected, input)
        }
    }
}

/// DataContract's default stable name for a generic type with one argument (`DataContract.GetDefaultStableLocalName`,
/// `GetNamespacesDigest`): the CLR name without its arity marker, `Of`, the argument's contract name, then, unless the
/// argument is a serialization built-in, an 8-character digest of the argument's namespace.
enum DotNetContractName {
    static func generic<Tag: EnvelopeTag>(_ contractName: String, _ tag: Tag.Type) throws -> String {
        let digest = Tag.isBuiltInContract ? "" : try namespacesDigest([Tag.contractNamespace])
        return "CommonOperationResultWithTagOf" + contractName + digest
    }

    /// MD5 over UTF-8 `" <count>"` + `" <namespace>"` per argument, its first 6 bytes in standard Base64, renamed.
    static func namespacesDigest(_ namespaces: [String]) throws -> String {
        let input = " \(namespaces.count)" + namespaces.map { " \($0)" }.joined()
        return renamed(Data(try md5(Array(input.utf8)).prefix(6)).base64EncodedString())
    }

    /// `/` → `_S`, `+` → `_P`, padding dropped.
    static func renamed(_ base64: String) -> String {
        base64.replacingOccurrences(of: "/", with: "_S").replacingOccurrences(of: "+", with: "_P")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The MD5 digest of `bytes`, computed by the `openssl` command.
    static func md5(_ bytes: [UInt8]) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "dgst", "-md5", "-binary"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(bytes))
        try input.fileHandleForWriting.close()
        let digest = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, digest.count == 16 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "openssl dgst -md5 failed"])
        }
        return Array(digest)
    }
}
