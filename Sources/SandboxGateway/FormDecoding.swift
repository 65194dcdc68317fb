import Alipay

/// Gateway and control parameters from form-urlencoded text, decoded exactly once (by the Alipay module's
/// decoder) and gathered into one dictionary.
public enum FormDecoding {
    /// Why a set of forms could not be turned into parameters.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case malformed(FormURLEncoding.DecodingError)
        case duplicateName(String)

        public var description: String {
            switch self {
            case .malformed(let error): return error.description
            case .duplicateName(let name): return "parameter \(name) appears more than once"
            }
        }
    }

    /// Name/value pairs in order: `+` becomes a space, `%XX` a byte, nothing else is touched.
    public static func pairs(_ bytes: [UInt8]) throws(Failure) -> [(String, String)] {
        do { return try FormURLEncoding.decode(bytes) } catch { throw .malformed(error) }
    }

    /// Pairs gathered from several forms (query string first) into a dictionary; a repeated name is refused
    /// because the two copies could differ and only one of them would have been signed.
    public static func parameters(from forms: [[UInt8]]) throws(Failure) -> [String: String] {
        var params: [String: String] = [:]
        for form in forms {
            for (name, value) in try pairs(form) {
                guard params.updateValue(value, forKey: name) == nil else { throw .duplicateName(name) }
            }
        }
        return params
    }

    /// A form body from ordered pairs.
    public static func encode(_ pairs: [(String, String)]) -> String {
        FormURLEncoding.encode(pairs)
    }
}
