internal import CCurl

/// Owns a `curl_slist` of request header lines for the duration of one request.
final class HeaderList {
    private(set) var head: UnsafeMutablePointer<curl_slist>?

    /// Builds `Name: value` lines; an empty value produces `Name:`, which tells curl not to send
    /// that header. Refuses names or values containing line breaks (header injection).
    init(_ fields: [(String, String)]) throws(HTTPClientError) {
        for (name, value) in fields {
            guard !name.isEmpty, !(name + value).contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) else {
                throw .transport("invalid request header \(name.isEmpty ? "(empty name)" : name)")
            }
            let line = value.isEmpty ? "\(name):" : "\(name): \(value)"
            guard let appended = curl_slist_append(head, line) else {
                throw .transport("out of memory building request headers")
            }
            head = appended
        }
    }

    deinit {
        curl_slist_free_all(head)
    }
}
