/// A QR code drawn for a screen: each module `scale` pixels square, a white quiet zone of `quietZone` modules
/// around the symbol, dark modules black.
public struct QRPicture: Sendable {
    public let matrix: QRMatrix
    public let scale: Int
    public let quietZone: Int

    /// The default and the largest pixels per module a client may ask for.
    public static let defaultScale = 8
    public static let maximumScale = 20

    public init(_ matrix: QRMatrix, scale: Int = QRPicture.defaultScale, quietZone: Int = 4) {
        precondition((1...QRPicture.maximumScale).contains(scale), "scale 1…20")
        precondition(quietZone >= 0, "quiet zone")
        self.matrix = matrix
        self.scale = scale
        self.quietZone = quietZone
    }

    /// Modules per side, the quiet zone included.
    public var modulesPerSide: Int { matrix.width + 2 * quietZone }

    /// Pixels per side.
    public var pixelsPerSide: Int { modulesPerSide * scale }

    /// The picture as a 1-bit PNG.
    public func png() throws(QRCodeError) -> [UInt8] {
        let side = pixelsPerSide
        // One row of pixels per row of modules, repeated `scale` times.
        var indices = [UInt8]()
        indices.reserveCapacity(side * side)
        let blankRow = [UInt8](repeating: 0, count: side)
        for _ in 0..<(quietZone * scale) { indices += blankRow }
        let margin = [UInt8](repeating: 0, count: quietZone * scale)
        for y in 0..<matrix.width {
            var row = margin
            row.reserveCapacity(side)
            for x in 0..<matrix.width {
                let index: UInt8 = matrix.isDark(x: x, y: y) ? 1 : 0
                row += repeatElement(index, count: scale)
            }
            row += margin
            for _ in 0..<scale { indices += row }
        }
        for _ in 0..<(quietZone * scale) { indices += blankRow }
        return try PNGWriter.twoColour(
            width: side, height: side, indices: indices, palette: ((255, 255, 255), (0, 0, 0)))
    }

    /// The picture as an SVG document: a white square and one path with a unit square per run of dark modules
    /// (the view box counts modules, the width and height pixels).
    public func svg() -> String {
        let side = modulesPerSide
        var path = ""
        for y in 0..<matrix.width {
            var x = 0
            while x < matrix.width {
                guard matrix.isDark(x: x, y: y) else {
                    x += 1
                    continue
                }
                var run = 1
                while x + run < matrix.width, matrix.isDark(x: x + run, y: y) { run += 1 }
                path += "M\(x + quietZone) \(y + quietZone)h\(run)v1h-\(run)z"
                x += run
            }
        }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(pixelsPerSide)" height="\(pixelsPerSide)" \
            viewBox="0 0 \(side) \(side)" shape-rendering="crispEdges">\
            <rect width="\(side)" height="\(side)" fill="#fff"/><path fill="#000" d="\(path)"/></svg>

            """
    }
}
