import Foundation
import ContentNegotiation
import PaymentModel
import QRCode

/// How the QR route draws the code: `format` (`png`, the default, or `svg`) and `size` (pixels per module,
/// 1–20, default 8), read from the GET query string beside the bill's keys.
struct PictureOptions: Equatable {
    enum Format: String {
        case png, svg
    }

    var format = Format.png
    var scale = QRPicture.defaultScale

    static let schema = RequestSchema(
        xmlRootName: "AliQRParm", xmlNamespace: ScanCodeContract.xmlNamespace, memberNames: ["format", "size"])

    /// The options in `query` (form syntax; names case-insensitive, the first occurrence wins), or 1002.
    static func read(query: String) -> Result<PictureOptions, ServiceError> {
        var options = PictureOptions()
        let fields: DecodedFields
        switch RequestBodyDecoder.decodeQueryString(query, schema: schema) {
        case .success(let decoded): fields = decoded
        case .failure(let error): return .failure(error)
        }
        if let text = fields.string("format"), !TextRules.isBlank(text) {
            guard let format = Format(rawValue: text.trimmingCharacters(in: .whitespaces).lowercased()) else {
                return .failure(ServiceError(.validationFailed, message: "The field format must be png or svg."))
            }
            options.format = format
        }
        if let text = fields.string("size"), !TextRules.isBlank(text) {
            let digits = text.trimmingCharacters(in: .whitespaces)
            guard digits.utf8.count <= 2, digits.utf8.allSatisfy({ (48...57).contains($0) }), let scale = Int(digits),
                  (1...QRPicture.maximumScale).contains(scale)
            else {
                return .failure(ServiceError(
                    .validationFailed,
                    message: "The field size must be a whole number of pixels per module from 1 to \(QRPicture.maximumScale)."))
            }
            options.scale = scale
        }
        return .success(options)
    }
}
