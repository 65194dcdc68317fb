import Alipay
import Foundation
import JSON
public import PaymentModel

/// A `biz_content` field that is missing or malformed; becomes `ACQ.INVALID_PARAMETER` with `detail` as sub_msg.
public struct BizContentError: Error, Sendable, Equatable {
    public let detail: String
}

/// Typed access to the fields of a `biz_content` JSON object.
public struct BizContent: Sendable {
    private let object: JSONNode

    /// Parses the JSON text; anything but an object is refused.
    public init(text: String?) throws(BizContentError) {
        guard let text, !text.isEmpty else { throw BizContentError(detail: "biz_content is missing") }
        let value: JSONNode
        do {
            value = try JSONParser.parse(text)
        } catch {
            throw BizContentError(detail: "biz_content is not valid JSON (\(error.reason))")
        }
        guard case .object = value else { throw BizContentError(detail: "biz_content is not a JSON object") }
        object = value
    }

    /// A string field; numbers are accepted as their literal text.
    public func string(_ name: String) throws(BizContentError) -> String? {
        guard let value = object[name], value != .null else { return nil }
        guard let text = value.scalarText else { throw BizContentError(detail: "\(name) must be a string") }
        return text.isEmpty ? nil : text
    }

    /// A required, non-empty string field of at most `maxLength` characters.
    public func requiredString(_ name: String, maxLength: Int) throws(BizContentError) -> String {
        guard let text = try string(name) else { throw BizContentError(detail: "\(name) is required") }
        guard text.count <= maxLength else { throw BizContentError(detail: "\(name) is longer than \(maxLength)") }
        return text
    }

    /// An optional string field of at most `maxLength` characters.
    public func optionalString(_ name: String, maxLength: Int) throws(BizContentError) -> String? {
        guard let text = try string(name) else { return nil }
        guard text.count <= maxLength else { throw BizContentError(detail: "\(name) is longer than \(maxLength)") }
        return text
    }

    /// An amount field: plain digits with at most two decimals, between 0.01 and 100000000.
    public func amount(_ name: String, required: Bool = true) throws(BizContentError) -> Money? {
        guard let text = try string(name) else {
            if required { throw BizContentError(detail: "\(name) is required") }
            return nil
        }
        guard Self.isPlainAmount(text), let money = Money(exactly: text),
              money.fen >= 1, money <= Money.alipayMaximum
        else { throw BizContentError(detail: "\(name) must be 0.01 to 100000000 with at most 2 decimals") }
        return money
    }

    /// `out_trade_no`: 1 to 64 ASCII letters, digits or underscores.
    public func outTradeNo(required: Bool) throws(BizContentError) -> String? {
        guard let text = try string("out_trade_no") else {
            if required { throw BizContentError(detail: "out_trade_no is required") }
            return nil
        }
        guard Self.isValidOutTradeNo(text) else {
            throw BizContentError(detail: "out_trade_no must be 1 to 64 letters, digits or underscores")
        }
        return text
    }

    /// The `out_trade_no`/`trade_no` pair that names an existing trade; at least one is required.
    public func tradeReference() throws(BizContentError) -> TradeLookup {
        let outTradeNo = try outTradeNo(required: false)
        let tradeNo = try optionalString("trade_no", maxLength: 64)
        guard outTradeNo != nil || tradeNo != nil else {
            throw BizContentError(detail: "out_trade_no or trade_no is required")
        }
        return TradeLookup(outTradeNo: outTradeNo, tradeNo: tradeNo)
    }

    /// True when the array field `name` contains the string `element` (e.g. `query_options`).
    public func arrayContains(_ name: String, _ element: String) -> Bool {
        guard case .array(let elements)? = object[name] else { return false }
        return elements.contains(.string(element))
    }

    static func isValidOutTradeNo(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count) && text.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F
        }
    }

    static func isPlainAmount(_ text: String) -> Bool {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let digits: (Substring) -> Bool = { !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
        guard digits(parts[0]), parts[0].count <= 9 else { return false }
        return parts.count == 1 || (digits(parts[1]) && parts[1].count <= 2)
    }
}

/// How a request names a trade; `trade_no` wins when both are given, as at Alipay.
public struct TradeLookup: Sendable, Equatable {
    public var outTradeNo: String?
    public var tradeNo: String?

    public init(outTradeNo: String?, tradeNo: String?) {
        self.outTradeNo = outTradeNo
        self.tradeNo = tradeNo
    }
}

/// Parses `timeout_express` (`Nm`, `Nh`, `Nd` or `1c`), limited to 1 minute … 15 days.
public enum TimeoutExpress {
    /// The trade's expiry instant for a precreate at `start`.
    public static func expiry(_ text: String?, from start: Date) throws(BizContentError) -> Date {
        guard let text else { return start.addingTimeInterval(3 * 3600) }
        if text == "1c" { return endOfBeijingDay(after: start) }
        guard let unit = text.last, let count = Int(text.dropLast()), count >= 1,
              text.dropLast().allSatisfy({ $0.isASCII && $0.isNumber })
        else { throw BizContentError(detail: "timeout_express must look like 90m, 2h, 1d or 1c") }
        let unitSeconds: Int
        switch unit {
        case "m": unitSeconds = 60
        case "h": unitSeconds = 3600
        case "d": unitSeconds = 86_400
        default: throw BizContentError(detail: "timeout_express must look like 90m, 2h, 1d or 1c")
        }
        let seconds = count.multipliedReportingOverflow(by: unitSeconds)
        guard !seconds.overflow, seconds.partialValue <= 15 * 86_400 else {
            throw BizContentError(detail: "timeout_express must be between 1m and 15d")
        }
        return start.addingTimeInterval(TimeInterval(seconds.partialValue))
    }

    private static func endOfBeijingDay(after start: Date) -> Date {
        let local = Int64(start.timeIntervalSince1970) + 8 * 3600
        let nextMidnightLocal = (local / 86_400 + 1) * 86_400
        return Date(timeIntervalSince1970: TimeInterval(nextMidnightLocal - 8 * 3600))
    }
}
