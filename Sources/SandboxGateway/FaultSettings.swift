import Alipay
import JSON

/// A failure the sandbox can inject into `/gateway.do` replies.
public enum FaultMode: String, Sendable, CaseIterable {
    case none
    /// HTTP 502 with an HTML body, as a failing proxy would answer.
    case http502
    /// A broken upstream reply that nginx turns into its own 502 (the closest FastCGI gets to a TCP reset).
    case reset
    /// Sleeps longer than any client timeout, then answers.
    case hang
    /// A business answer whose signature does not verify.
    case badSignature = "bad_signature"
    /// A business answer without `sign`.
    case noSignature = "no_signature"
}

/// What `POST /sandbox/faults` configures.
public struct FaultSettings: Sendable, Equatable {
    /// Added before every `/gateway.do` reply.
    public var latencyMilliseconds: Int = 0
    /// Chance (0…1) that a reply fails; 0 with no `count` means every reply fails while a mode is set.
    public var failureRate: Double = 0
    public var mode: FaultMode = .none
    /// True: the operation takes effect in the book before the failure; false: it never happens.
    public var applied: Bool = false
    /// How many replies may still fail; nil for no limit.
    public var count: Int?
    /// How long `hang` sleeps.
    public var hangMilliseconds: Int

    public init(hangMilliseconds: Int) {
        self.hangMilliseconds = hangMilliseconds
    }

    /// Reads the JSON object of `POST /sandbox/faults`; absent members keep their defaults.
    public static func parse(_ value: JSONNode, defaultHangMilliseconds: Int) throws(ControlRefusal) -> FaultSettings {
        guard case .object(let members) = value else { throw Self.refusal("the body must be a JSON object") }
        var settings = FaultSettings(hangMilliseconds: defaultHangMilliseconds)
        for (name, member) in members {
            switch name {
            case "latency_ms": settings.latencyMilliseconds = try integer(member, name, 0...600_000)
            case "hang_ms": settings.hangMilliseconds = try integer(member, name, 0...3_600_000)
            case "count": settings.count = member == .null ? nil : try integer(member, name, 0...Int(Int32.max))
            case "failure_rate":
                guard let text = member.scalarText, let rate = Double(text), (0...1).contains(rate) else {
                    throw Self.refusal("failure_rate must be a number from 0 to 1")
                }
                settings.failureRate = rate
            case "mode":
                guard case .string(let text) = member, let mode = FaultMode(rawValue: text) else {
                    let names = FaultMode.allCases.map(\.rawValue).joined(separator: "|")
                    throw Self.refusal("mode must be one of \(names)")
                }
                settings.mode = mode
            case "applied":
                guard case .bool(let flag) = member else { throw Self.refusal("applied must be true or false") }
                settings.applied = flag
            default:
                throw Self.refusal("unknown member \(name)")
            }
        }
        return settings
    }

    /// The settings as the control API shows them.
    public var json: JSONNode {
        .object([
            ("latency_ms", .number(String(latencyMilliseconds))),
            ("failure_rate", .number(String(failureRate))),
            ("mode", .string(mode.rawValue)),
            ("applied", .bool(applied)),
            ("count", count.map { .number(String($0)) } ?? .null),
            ("hang_ms", .number(String(hangMilliseconds))),
        ])
    }

    private static func integer(_ value: JSONNode, _ name: String, _ range: ClosedRange<Int>) throws(ControlRefusal) -> Int {
        guard let text = value.scalarText, let number = Int(text), range.contains(number) else {
            throw refusal("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    private static func refusal(_ message: String) -> ControlRefusal {
        ControlRefusal(status: 400, message: message)
    }
}
