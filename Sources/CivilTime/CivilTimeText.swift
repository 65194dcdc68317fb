import Foundation

/// Instants as civil (wall-clock) text at a fixed offset from UTC: `yyyy-MM-dd HH:mm:ss`, optionally with a
/// fraction of the second, on the proleptic Gregorian calendar.
///
/// Pure arithmetic: no formatter object, time-zone database or lock, the same answer on every thread and
/// whatever the host's zone. Parsing refuses every time no calendar has (month 13, April 31, February 30,
/// February 29 of a common year, hour 24, minute or second 60: no leap seconds) and anything not in the
/// exact form (signs, spaces, other digits, a `T`).
public struct CivilTimeText: Sendable, Hashable {
    /// Seconds east of UTC.
    public let utcOffset: Int

    public init(utcOffset: Int) {
        self.utcOffset = utcOffset
    }

    /// UTC: MariaDB's DATETIME columns (the schema stores UTC) and the request log.
    public static let utc = CivilTimeText(utcOffset: 0)

    /// China Standard Time, UTC+8 all year: Alipay's timestamps and the times in ThreePay's answers.
    public static let china = CivilTimeText(utcOffset: 8 * 3600)

    /// `yyyy-MM-dd HH:mm:ss`, the instant rounded down to the second.
    public func format(_ date: Date) -> String {
        format(date, fractionDigits: 0)
    }

    /// `yyyy-MM-dd HH:mm:ss`, `separator` between date and time, then `.` and `fractionDigits` (1…6) digits when
    /// asked for. The instant is taken to the nearest microsecond (what a `Date` holds reliably), then cut
    /// down to the digits shown.
    public func format(_ date: Date, fractionDigits: Int, separator: Character = " ") -> String {
        precondition((0...6).contains(fractionDigits), "a fraction has at most 6 digits")
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) + Int64(utcOffset) * 1_000_000
        let (seconds, fraction) = micros.floorDivided(by: 1_000_000)
        let (days, secondOfDay) = seconds.floorDivided(by: 86_400)
        let civil = CivilDate(daysSinceEpoch: days)
        var text = "\(pad(civil.year, 4))-\(pad(civil.month, 2))-\(pad(civil.day, 2))\(separator)"
            + "\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))"
        if fractionDigits > 0 { text += "." + pad(fraction, 6).prefix(fractionDigits) }
        return text
    }

    /// Parses exactly `yyyy-MM-dd HH:mm:ss` at this offset; nil for anything else or an impossible time.
    public func parse(_ text: String) -> Date? {
        parse(text, maxFractionDigits: 0)
    }

    /// Parses `yyyy-MM-dd HH:mm:ss`, optionally followed by `.` and 1…`maxFractionDigits` digits.
    public func parse(_ text: String, maxFractionDigits: Int) -> Date? {
        guard text.utf8.count >= 19, text.utf8.count <= 20 + maxFractionDigits else { return nil }
        let bytes = Array(text.utf8)
        guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: " "),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let year = number(bytes[0..<4]), let month = number(bytes[5..<7]), let day = number(bytes[8..<10]),
              let hour = number(bytes[11..<13]), let minute = number(bytes[14..<16]),
              let second = number(bytes[17..<19]),
              let civil = CivilDate(year: year, month: month, day: day), hour < 24, minute < 60, second < 60
        else { return nil }
        var micros: Int64 = 0
        if bytes.count > 19 {
            let digits = bytes[20...]
            guard bytes[19] == UInt8(ascii: "."), !digits.isEmpty, let value = number(digits) else { return nil }
            micros = value
            for _ in digits.count..<6 { micros *= 10 }
        }
        let local = civil.daysSinceEpoch * 86_400 + hour * 3600 + minute * 60 + second
        return Date(timeIntervalSince1970: Double(local - Int64(utcOffset)) + Double(micros) / 1_000_000)
    }

    /// The value of a run of ASCII digits; nil when any byte is not one.
    private func number(_ digits: ArraySlice<UInt8>) -> Int64? {
        var value: Int64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

extension Int64 {
    /// Quotient rounded toward negative infinity, and the matching non-negative remainder.
    func floorDivided(by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let remainder = (self % divisor + divisor) % divisor
        return ((self - remainder) / divisor, remainder)
    }
}
