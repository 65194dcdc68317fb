import BarcodeReading
import QRCode
import XCTest

/// The pictures are read back by zbarimg, a decoder that shares no code with libqrencode.
final class QRPictureTests: XCTestCase {
    private let codeURL = "https://qr.alipay.com/bax03120abcdEFGH4567ijkl89mn"

    func testPNGDecodesToTheTextAtEveryScale() throws {
        let matrix = try QRMatrix(encoding: codeURL)
        for scale in [2, QRPicture.defaultScale, QRPicture.maximumScale] {
            let picture = QRPicture(matrix, scale: scale)
            let png = try picture.png()
            let size = try XCTUnwrap(BarcodeReader.pngSize(png), "not a PNG")
            XCTAssertEqual(size.width, (matrix.width + 8) * scale, "quiet zone of 4 modules each side")
            XCTAssertEqual(size.height, size.width)
            XCTAssertEqual(try BarcodeReader.qrCodes(inPNG: png), [codeURL], "scale \(scale)")
        }
    }

    func testPNGIsAOneBitPalettePicture() throws {
        let png = try QRPicture(QRMatrix(encoding: codeURL)).png()
        // IHDR: bit depth 1, colour type 3 (palette).
        XCTAssertEqual(png[24], 1)
        XCTAssertEqual(png[25], 3)
    }

    func testSVGDecodesAfterRasterising() throws {
        let matrix = try QRMatrix(encoding: codeURL)
        let svg = QRPicture(matrix, scale: 6).svg()
        XCTAssertTrue(svg.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "), svg)
        XCTAssertTrue(svg.contains(#"viewBox="0 0 \#(matrix.width + 8) \#(matrix.width + 8)""#), svg)
        let png = try BarcodeReader.rasterize(svg: svg)
        XCTAssertEqual(BarcodeReader.pngSize(png)?.width, (matrix.width + 8) * 6)
        XCTAssertEqual(try BarcodeReader.qrCodes(inPNG: png), [codeURL])
    }

    /// The SVG and the PNG draw the same modules: every dark run of the matrix is one path segment.
    func testSVGHasOneSegmentPerRunOfDarkModules() throws {
        let matrix = try QRMatrix(encoding: codeURL)
        var runs = 0
        for y in 0..<matrix.width {
            for x in 0..<matrix.width where matrix.isDark(x: x, y: y) && (x == 0 || !matrix.isDark(x: x - 1, y: y)) {
                runs += 1
            }
        }
        let svg = QRPicture(matrix).svg()
        XCTAssertEqual(svg.components(separatedBy: "z").count - 1, runs)
        // A finder pattern's top edge: 7 dark modules from the corner of the symbol, inside the quiet zone.
        XCTAssertTrue(svg.contains("M4 4h7v1h-7z"), svg)
    }

    /// Byte-mode capacity of version 3 is 53 bytes at level L, 42 at M, 32 at Q: a symbol that holds 42 bytes in
    /// version 3 and needs version 4 for 43 can only be level M (and the smallest version that fits).
    func testLevelMAndTheSmallestVersion() throws {
        XCTAssertEqual(try QRMatrix(encoding: String(repeating: "a", count: 42)).width, 29, "version 3")
        XCTAssertEqual(try QRMatrix(encoding: String(repeating: "a", count: 43)).width, 33, "version 4")
        XCTAssertEqual(try QRMatrix(encoding: "a").width, 21, "version 1")
    }

    func testNonASCIITextAndLimits() throws {
        // The symbol holds the text's UTF-8 bytes as they are (byte mode).
        let text = "https://qr.alipay.com/bax0?subject=景区门票"
        XCTAssertEqual(try BarcodeReader.qrBytes(inPNG: QRPicture(QRMatrix(encoding: text)).png()), Array(text.utf8))
        XCTAssertThrowsError(try QRMatrix(encoding: "")) { XCTAssertEqual($0 as? QRCodeError, .emptyText) }
        XCTAssertThrowsError(try QRMatrix(encoding: String(repeating: "x", count: 2332))) {
            XCTAssertEqual($0 as? QRCodeError, .textTooLong(bytes: 2332))
        }
        XCTAssertEqual(try QRMatrix(encoding: String(repeating: "x", count: 2331)).width, 177, "version 40")
    }
}
