internal import CPNG

/// Two-colour PNG files written by libpng's simplified API, entirely in memory.
enum PNGWriter {
    /// A 1-bit palette PNG of `width` × `height` pixels: `indices` holds one byte per pixel, row-major, 0 for
    /// `palette.0` and 1 for `palette.1` (RGB colours).
    static func twoColour(
        width: Int, height: Int, indices: [UInt8], palette: ((UInt8, UInt8, UInt8), (UInt8, UInt8, UInt8))
    ) throws(QRCodeError) -> [UInt8] {
        precondition(indices.count == width * height, "one index per pixel")
        let colourMap: [UInt8] = [palette.0.0, palette.0.1, palette.0.2, palette.1.0, palette.1.1, palette.1.2]
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_COLORMAP)
        // With at most two colour-map entries libpng writes a 1-bit palette image.
        image.colormap_entries = 2

        // First ask for the size, then write into a buffer of that size.
        var size = 0
        let sized = write(&image, into: nil, size: &size, indices: indices, width: width, colourMap: colourMap)
        guard sized, size > 0 else { throw .pngFailed(message(image)) }
        var output = [UInt8](repeating: 0, count: size)
        let written = output.withUnsafeMutableBytes { buffer in
            write(&image, into: buffer.baseAddress, size: &size, indices: indices, width: width, colourMap: colourMap)
        }
        guard written else { throw .pngFailed(message(image)) }
        return Array(output.prefix(size))
    }

    private static func write(
        _ image: inout png_image, into memory: UnsafeMutableRawPointer?, size: inout Int, indices: [UInt8],
        width: Int, colourMap: [UInt8]
    ) -> Bool {
        indices.withUnsafeBytes { pixels in
            colourMap.withUnsafeBytes { map in
                png_image_write_to_memory(&image, memory, &size, 0, pixels.baseAddress, Int32(width), map.baseAddress)
                    != 0
            }
        }
    }

    /// libpng's message after a failed call (the image is released by the failed call itself).
    private static func message(_ image: png_image) -> String {
        withUnsafeBytes(of: image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
