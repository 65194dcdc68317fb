import Foundation
import TestSupport

/// Reads QR codes out of pictures with `zbarimg` (Debian's zbar-tools), an implementation independent of the
/// one that drew them; SVG is first rasterised with `rsvg-convert` (librsvg2-bin).
public enum BarcodeReader {
    /// Every QR code zbarimg finds in `png`, in its order; empty when it finds none.
    public static func qrCodes(inPNG png: [UInt8]) throws -> [String] {
        let folder = try TemporaryFolder("zbar")
        defer { folder.remove() }
        let file = folder.url.appendingPathComponent("picture.png")
        try Data(png).write(to: file)
        return try qrCodes(inFile: file.path)
    }

    /// Every QR code in a picture file zbarimg can read.
    public static func qrCodes(inFile path: String) throws -> [String] {
        guard let output = try zbarimg(path, binary: false) else { return [] }
        return String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// The bytes of the one QR code in `png` exactly as the symbol holds them (zbarimg guesses no charset), or
    /// nil when there is none.
    public static func qrBytes(inPNG png: [UInt8]) throws -> [UInt8]? {
        let folder = try TemporaryFolder("zbar")
        defer { folder.remove() }
        let file = folder.url.appendingPathComponent("picture.png")
        try Data(png).write(to: file)
        return try zbarimg(file.path, binary: true)
    }

    /// zbarimg's output for a picture file, nil when it found no symbol. --raw: only the decoded text, one code
    /// per line; -Sdisable -Sqrcode.enable: QR codes only; -Sbinary: the bytes without charset conversion.
    private static func zbarimg(_ path: String, binary: Bool) throws -> [UInt8]? {
        var arguments = ["--quiet", "--raw", "--nodbus", "-Sdisable", "-Sqrcode.enable"]
        if binary { arguments.append("-Sbinary") }
        let outcome = try ExternalTool.run("/usr/bin/zbarimg", arguments + [path])
        switch outcome.status {
        case 0: return outcome.standardOutput
        case 4: return nil  // zbarimg's "no symbols found"
        default: throw TestFailure("zbarimg failed (\(outcome.status)): \(outcome.standardError)")
        }
    }

    /// `svg` drawn as a PNG by librsvg, at the size the document gives.
    public static func rasterize(svg: String) throws -> [UInt8] {
        let folder = try TemporaryFolder("rsvg")
        defer { folder.remove() }
        let input = URL(fileURLWithPath: try folder.write("picture.svg", svg))
        let output = folder.url.appendingPathComponent("picture.png")
        let outcome = try ExternalTool.run(
            "/usr/bin/rsvg-convert", ["--format=png", "--background-color=white", "--output=" + output.path, input.path])
        guard outcome.status == 0 else {
            throw TestFailure("rsvg-convert failed (\(outcome.status)): \(outcome.standardError)")
        }
        return Array(try Data(contentsOf: output))
    }

    /// The width and height a PNG's header declares, or nil when `png` is not a PNG.
    public static func pngSize(_ png: [UInt8]) -> (width: Int, height: Int)? {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard png.count >= 24, Array(png.prefix(8)) == signature, Array(png[12..<16]) == Array("IHDR".utf8) else {
            return nil
        }
        func bigEndian(_ offset: Int) -> Int { png[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (bigEndian(16), bigEndian(20))
    }
}
