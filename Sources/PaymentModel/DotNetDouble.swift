import Glibc

/// A binary floating-point number as .NET Framework turned it into text and into a decimal.
///
/// `Double.ToString()` (format "G") and `Convert.ToDecimal(double)` both kept 15 significant digits, so a
/// client's 0.1 + 0.2 (0.30000000000000004 in binary) arrived as 0.3 and 19.99 as 19.99. The digits are
/// glibc's `gcvt` with 15 digits, which is `%.15g` (correctly rounded) without a format string at the call;
/// the exponent is spelled as .NET spelled it (`1E+20`, `1E-05`);
/// NaN and the infinities get .NET's names, which no decimal grammar reads. Money never passes through
/// Double arithmetic: the text is read by the exact decimal grammar afterwards.
public enum DotNetDouble {
    public static func text(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        // .NET Framework wrote negative zero as "0".
        if value == 0 { return "0" }
        // gcvt takes no buffer size: 15 digits need at most 22 characters and a NUL ("-1.23456789012346e-308").
        var buffer = [CChar](repeating: 0, count: 32)
        _ = gcvt(value, 15, &buffer)
        let digits = buffer.prefix { $0 != 0 }.map { $0 == CChar(UInt8(ascii: "e")) ? UInt8(ascii: "E") : UInt8(bitPattern: $0) }
        return String(decoding: digits, as: UTF8.self)
    }
}
