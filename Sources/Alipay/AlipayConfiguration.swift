import Foundation
import RSASigning

/// Everything an `AlipayClient` needs; read once at startup and shared by all workers.
public struct AlipayConfiguration: Sendable {
    /// Production: `https://openapi.alipay.com/gateway.do`.
    public static let productionGateway = "https://openapi.alipay.com/gateway.do"

    /// The OpenAPI gateway URL requests are POSTed to.
    public var gatewayURL: String
    /// The merchant's APPID (`app_id`).
    public var appID: String
    /// The merchant's RSA2 private key; signs every request.
    public var appPrivateKey: RSAPrivateKey
    /// Alipay's public key (not the merchant's own); verifies replies and notifications.
    public var alipayPublicKey: RSAPublicKey
    /// Where Alipay posts asynchronous notifications; sent as `notify_url` on every call when set.
    public var notifyURL: String?
    /// Sent as `app_auth_token` when an ISV calls on behalf of a merchant.
    public var appAuthToken: String?
    /// The current time, for the `timestamp` parameter (formatted in China time, UTC+8).
    public var clock: @Sendable () -> Date

    public init(gatewayURL: String, appID: String, appPrivateKey: RSAPrivateKey, alipayPublicKey: RSAPublicKey,
                notifyURL: String? = nil, appAuthToken: String? = nil,
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.gatewayURL = gatewayURL
        self.appID = appID
        self.appPrivateKey = appPrivateKey
        self.alipayPublicKey = alipayPublicKey
        self.notifyURL = notifyURL
        self.appAuthToken = appAuthToken
        self.clock = clock
    }
}
