internal import CQREncode
import Glibc

/// A QR code symbol as a square of modules, encoded by libqrencode: the text in 8-bit byte mode, the smallest
/// version that holds it, error correction level M (15 % of the symbol may be damaged).
public struct QRMatrix: Sendable, Equatable {
    /// Modules per side, without the quiet zone (21 for version 1 … 177 for version 40).
    public let width: Int
    /// Row-major, `true` for a dark module; `width * width` entries.
    public let modules: [Bool]

    /// Encodes `text`'s UTF-8 bytes.
    public init(encoding text: String) throws(QRCodeError) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw .emptyText }
        errno = 0
        let symbol = bytes.withUnsafeBufferPointer { buffer in
            QRcode_encodeData(Int32(buffer.count), buffer.baseAddress, 0, QR_ECLEVEL_M)
        }
        guard let symbol else {
            throw errno == ERANGE ? .textTooLong(bytes: bytes.count) : .encodingFailed(errno: errno)
        }
        defer { QRcode_free(symbol) }
        let width = Int(symbol.pointee.width)
        // Bit 0 of each byte is the module's colour; the other bits describe its role in the symbol.
        let data = UnsafeBufferPointer(start: symbol.pointee.data, count: width * width)
        self.width = width
        modules = data.map { $0 & 1 == 1 }
    }

    /// Whether the module at column `x`, row `y` is dark.
    public func isDark(x: Int, y: Int) -> Bool {
        modules[y * width + x]
    }
}

/// Why a QR code could not be drawn.
public enum QRCodeError: Error, Sendable, Equatable, CustomStringConvertible {
    case emptyText
    /// More than a version 40 symbol holds at level M (2,331 bytes).
    case textTooLong(bytes: Int)
    case encodingFailed(errno: Int32)
    case pngFailed(String)

    public var description: String {
        switch self {
        case .emptyText: "there is no text to encode"
        case .textTooLong(let bytes): "\(bytes) bytes do not fit in a QR code"
        case .encodingFailed(let code): "libqrencode failed (errno \(code))"
        case .pngFailed(let message): "libpng failed: \(message)"
        }
    }
}
