import Glibc

/// Textual IP address checks, answered by glibc's `inet_pton`.
///
/// IPv4 is exactly four dotted decimal octets 0…255 without leading zeros (`01.2.3.4` is refused, so
/// there is no octal ambiguity as with `inet_aton`) and no shorthand forms (`10.1`). IPv6 is the RFC 4291
/// text form, with at most one `::` and an optional trailing dotted IPv4 address. Zone ids (`%eth0`),
/// brackets, prefixes (`/64`) and surrounding spaces are refused by both.
public enum IPAddressSyntax {
    /// Whether `text` is an IPv4 or an IPv6 address.
    public static func isValid(_ text: String) -> Bool {
        isIPv4(text) || isIPv6(text)
    }

    /// Whether `text` is a dotted-quad IPv4 address (`inet_pton(AF_INET)`).
    public static func isIPv4(_ text: String) -> Bool {
        parses(text, family: AF_INET)
    }

    /// Whether `text` is an IPv6 address (`inet_pton(AF_INET6)`).
    public static func isIPv6(_ text: String) -> Bool {
        parses(text, family: AF_INET6)
    }

    /// Whether `inet_pton` takes `text` as an address of `family`; `in6_addr` is room enough for either.
    /// C would stop reading at an embedded NUL and judge only the text before it, so such text is refused here.
    private static func parses(_ text: String, family: Int32) -> Bool {
        var address = in6_addr()
        return !text.utf8.contains(0) && inet_pton(family, text, &address) == 1
    }
}
