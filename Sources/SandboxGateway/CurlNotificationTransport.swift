import CurlClient

/// Sends notifications with libcurl through `CurlClient.HTTPClient` (one per notifier thread).
public final class CurlNotificationTransport: NotificationTransport {
    private let client: HTTPClient

    /// - Parameter timeoutMilliseconds: the whole attempt's limit; a merchant slower than this counts as no reply.
    public init(timeoutMilliseconds: Int) throws {
        client = try HTTPClient(connectTimeoutMilliseconds: min(3000, timeoutMilliseconds),
                                totalTimeoutMilliseconds: timeoutMilliseconds)
    }

    /// Initialises libcurl for the process; call once before any notifier thread starts.
    public static func prepare() throws {
        try HTTPClient.globalInit()
    }

    public func post(url: String, formBody: [UInt8]) throws -> (status: Int, body: [UInt8]) {
        let reply = try client.post(url: url, contentType: "application/x-www-form-urlencoded; charset=utf-8",
                                    body: formBody)
        return (reply.status, reply.body)
    }
}
