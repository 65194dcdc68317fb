import CivilTime
import FastCGI
import Foundation

/// Writes one line per request to standard error: time, request id, worker, method, path, status,
/// duration. Bodies, query strings and headers are never logged (they can carry card numbers).
///
/// Each line is one `write(2)` of less than PIPE_BUF bytes, so lines from different workers never
/// interleave and no lock is needed.
struct RequestLog: RequestLogger {
    func requestCompleted(_ request: Request, response: Response, worker: Int, seconds: Double) {
        let id = request.header("x-request-id").map(RequestLog.token) ?? "-"
        let tenths = Int((seconds * 10_000).rounded())
        let milliseconds = "\(tenths / 10).\(tenths % 10)"
        let errcode = response.header("X-ThreePay-Errcode") ?? "-"
        RequestLog.write(
            "\(RequestLog.timestamp()) req=\(id) w=\(worker) \(RequestLog.token(request.method)) "
                + "\(RequestLog.token(request.path)) status=\(response.status) errcode=\(errcode) ms=\(milliseconds)")
    }

    func serverProblem(_ message: String) {
        RequestLog.write("\(RequestLog.timestamp()) problem: \(RequestLog.printable(message))")
    }

    /// Writes a line that is not about one request (start-up, shutdown).
    static func note(_ message: String) {
        write("\(timestamp()) \(printable(message))")
    }

    static func write(_ line: String) {
        var bytes = Array(line.utf8.prefix(3800))
        bytes.append(0x0A)
        _ = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }

    /// A client-supplied value as one token: printable ASCII only, bounded, no spaces or quotes,
    /// so a request can neither forge log lines nor break a log parser.
    static func token(_ text: String) -> String {
        let cleaned = text.unicodeScalars.prefix(200).map { scalar -> Character in
            (scalar.value > 0x20 && scalar.value < 0x7F && scalar != "\"") ? Character(scalar) : "_"
        }
        return cleaned.isEmpty ? "-" : String(cleaned)
    }

    /// A message on one line: control characters (C0, DEL, C1) and the Unicode line and paragraph separators
    /// become spaces, so nothing in it can start a line of its own.
    static func printable(_ text: String) -> String {
        String(text.unicodeScalars.map { scalar in
            switch scalar.value {
            case 0..<0x20, 0x7F...0x9F, 0x2028, 0x2029: " "
            default: Character(scalar)
            }
        })
    }

    /// Now in UTC to the millisecond, e.g. `2024-06-01T04:01:15.250Z`.
    static func timestamp() -> String {
        CivilTimeText.utc.format(Date(), fractionDigits: 3, separator: "T") + "Z"
    }
}
