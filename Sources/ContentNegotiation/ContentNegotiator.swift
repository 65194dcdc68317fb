/// The answer formats the service writes.
public enum ResponseFormat: Sendable, Hashable {
    case json
    case xml
    case bson

    /// The writer's media types in its own order and spelling (the negotiated one is echoed).
    var mediaTypes: [MediaType] {
        switch self {
        case .json: return [MediaType(type: "application", subtype: "json"), MediaType(type: "text", subtype: "json")]
        case .xml: return [MediaType(type: "application", subtype: "xml"), MediaType(type: "text", subtype: "xml")]
        case .bson: return [MediaType(type: "application", subtype: "bson")]
        }
    }

    /// Writers in the legacy formatter order (the BSON formatter was added last).
    static let writers: [ResponseFormat] = [.json, .xml, .bson]
}

/// The outcome of negotiation: which writer, and the Content-Type header to send.
public struct NegotiatedFormat: Sendable, Hashable {
    public let format: ResponseFormat
    /// The matched media type in the writer's spelling (`application/json`, `text/xml`, …).
    public let mediaType: String

    public init(format: ResponseFormat, mediaType: String) {
        self.format = format
        self.mediaType = mediaType
    }

    /// The answer's Content-Type: always UTF-8 (`application/json; charset=utf-8`; BSON carries the
    /// parameter too, as the legacy BSON writer inherited JSON's encodings).
    ///
    /// The legacy writers could also answer UTF-16 when a client asked for it explicitly; no client is
    /// known to, so the service keeps UTF-8 only.
    public var contentType: String { "\(mediaType); charset=utf-8" }
}

/// Chooses the answer format exactly as ASP.NET Web API's `DefaultContentNegotiator` did.
public enum ContentNegotiator {
    /// Negotiates from the raw request headers (nil when absent). Never fails: the fallback is JSON.
    ///
    /// Per writer, the first of: the `X-Requested-With: XMLHttpRequest` mapping (JSON only, only with
    /// no Accept or exactly one `*/*`); the best Accept entry covering one of its types (q-sorted,
    /// q=0 skipped); the request Content-Type; "by type". Then: a mapping hit wins when its quality
    /// is ≥ every Accept hit; otherwise the best literal Accept hit, replaced by a subtype-range and
    /// then an all-range hit only when strictly higher; earliest writer wins ties; without any
    /// Accept hit the first Content-Type hit, and finally JSON. An unreadable Accept line is ignored
    /// whole; an unreadable Content-Type counts as absent.
    public static func negotiate(accept: String?, contentType: String?, xRequestedWith: String?) -> NegotiatedFormat {
        let acceptEntries = accept.flatMap(MediaType.parseList) ?? []
        let requestType = contentType.flatMap(MediaType.init(parsing:))
        let sorted = sortedByQuality(acceptEntries)
        var mapping: Match? = nil
        var best: [MediaType.RangeKind: Match] = [:]
        var byContentType: Match? = nil
        for writer in ResponseFormat.writers {
            if writer == .json, mappingApplies(acceptEntries, xRequestedWith) {
                mapping = improve(mapping, Match(writer: writer, mediaType: writer.mediaTypes[0], quality: 1))
            } else if let (match, kind) = acceptMatch(writer, sorted) {
                best[kind] = improve(best[kind], match)
            } else if let requestType, let type = writer.mediaTypes.first(where: { $0.covered(by: requestType) != nil }) {
                if byContentType == nil { byContentType = Match(writer: writer, mediaType: type, quality: 1) }
            }
        }
        let chosen = choose(mapping: mapping, accept: best, contentType: byContentType)
            ?? Match(writer: .json, mediaType: ResponseFormat.json.mediaTypes[0], quality: 1)
        return NegotiatedFormat(format: chosen.writer, mediaType: chosen.mediaType.essence)
    }

    /// A writer's candidate answer.
    struct Match {
        let writer: ResponseFormat
        let mediaType: MediaType
        let quality: Double
    }

    /// The final choice among the per-kind bests (the legacy `SelectResponseMediaTypeFormatter`).
    static func choose(mapping: Match?, accept: [MediaType.RangeKind: Match], contentType: Match?) -> Match? {
        let kinds: [MediaType.RangeKind] = [.literal, .subtypeRange, .allRange]
        if let mapping {
            let challenger = kinds.reduce(mapping) { improve($0, accept[$1]) }
            if challenger.quality <= mapping.quality { return mapping }
        }
        if !accept.isEmpty {
            return kinds.reduce(nil as Match?) { improve($0, accept[$1]) }
        }
        return contentType
    }

    /// Keeps `current` unless `candidate` has a strictly higher quality.
    static func improve(_ current: Match?, _ candidate: Match?) -> Match? {
        guard let candidate else { return current }
        guard let current else { return candidate }
        return candidate.quality > current.quality ? candidate : current
    }

    /// `improve` for a known current value.
    static func improve(_ current: Match, _ candidate: Match?) -> Match {
        guard let candidate, candidate.quality > current.quality else { return current }
        return candidate
    }

    /// Whether the X-Requested-With mapping is honoured: header contains `XMLHttpRequest`
    /// (case-insensitive) and Accept is absent or exactly one `*/*`.
    static func mappingApplies(_ accept: [MediaType], _ xRequestedWith: String?) -> Bool {
        guard let header = xRequestedWith, header.lowercased().contains("xmlhttprequest") else { return false }
        return accept.isEmpty || (accept.count == 1 && accept[0].isAllRange)
    }

    /// The first sorted Accept entry (q ≠ 0) covering one of the writer's types, in the writer's order.
    static func acceptMatch(_ writer: ResponseFormat, _ sorted: [MediaType]) -> (Match, MediaType.RangeKind)? {
        for entry in sorted where entry.quality != 0 {
            for type in writer.mediaTypes {
                if let kind = type.covered(by: entry) {
                    return (Match(writer: writer, mediaType: type, quality: entry.quality ?? 1), kind)
                }
            }
        }
        return nil
    }

    /// Accept entries by q descending (missing or unreadable q = 1); on equal q a concrete type
    /// precedes `type/*`, which precedes `*/*`; otherwise header order (stable).
    /// Each entry's quality and specificity are read once, before sorting, not in every comparison.
    static func sortedByQuality(_ entries: [MediaType]) -> [MediaType] {
        func specificity(_ type: MediaType) -> Int { type.isAllRange ? 0 : type.isSubtypeRange ? 1 : 2 }
        let keyed = entries.enumerated().map { offset, type in
            (type: type, quality: type.quality ?? 1, specificity: specificity(type), offset: offset)
        }
        return keyed.sorted { lhs, rhs in
            if lhs.quality != rhs.quality { return lhs.quality > rhs.quality }
            if lhs.specificity != rhs.specificity { return lhs.specificity > rhs.specificity }
            return lhs.offset < rhs.offset
        }.map(\.type)
    }
}
