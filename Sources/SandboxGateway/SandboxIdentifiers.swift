import CivilTime
import Foundation

/// Makes identifiers shaped like Alipay's: QR code URLs, trade numbers, buyer ids, notify ids.
public enum SandboxIdentifiers {
    private static let lowercaseAlphanumerics = Array("abcdefghijklmnopqrstuvwxyz0123456789")

    /// `https://qr.alipay.com/bax0` followed by 20 random lowercase letters and digits.
    public static func qrCode() -> String {
        "https://qr.alipay.com/bax0" + randomText(count: 20, from: lowercaseAlphanumerics)
    }

    /// A 28-digit trade number: Beijing date, `22001`, then 15 digits (the buyer id's tail and random digits).
    public static func tradeNo(at date: Date, buyerID: String) -> String {
        beijingDay(date) + "22001" + String(buyerID.suffix(4)) + randomDigits(11)
    }

    /// A buyer's user id: `2088` and 12 digits.
    public static func buyerID() -> String {
        "2088" + randomDigits(12)
    }

    /// A masked buyer logon id such as `159******32`.
    public static func maskedLogonID() -> String {
        "1" + randomDigits(2) + "******" + randomDigits(2)
    }

    /// A notify id: Beijing date then 26 digits, 34 characters as in Alipay's notifications.
    public static func notifyID(at date: Date) -> String {
        beijingDay(date) + randomDigits(26)
    }

    /// A refund number of the kind a merchant's portal makes: `PR`, the Beijing date, 12 digits.
    public static func refundRequestNo(at date: Date) -> String {
        "PR" + beijingDay(date) + randomDigits(12)
    }

    /// `yyyyMMdd` of `date` in Beijing time.
    private static func beijingDay(_ date: Date) -> String {
        String(CivilTimeText.china.format(date).prefix(10).filter { $0 != "-" })
    }

    /// `count` random decimal digits.
    public static func randomDigits(_ count: Int) -> String {
        randomText(count: count, from: Array("0123456789"))
    }

    private static func randomText(count: Int, from alphabet: [Character]) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
}
