import Alipay
import CurlClient
import Foundation
import MariaDB
import PaymentFlow
import PaymentModel
import PaymentStore
import RSASigning

/// What every worker shares, built once at start-up: the settings and the parsed keys.
///
/// Keys are parsed here exactly once; workers only read them (signing creates its own OpenSSL
/// context per call), so sharing them needs no lock.
final class Services: Sendable {
    let configuration: Configuration
    let alipay: AlipayConfiguration
    /// The payment rules' settings.
    let flowSettings: PaymentFlow.Settings
    /// The Alipay calls under way at once, shared by every worker (`GatewayBulkhead`).
    let gatewaySeats: GatewaySeats
    /// The callback signing secret, read once; nil when no callback URL is configured.
    let callbackSecret: [UInt8]?

    init(configuration: Configuration) throws {
        self.configuration = configuration
        let settings = configuration.alipay
        // Configuration.load already refused missing values; these unwraps name the setting anyway.
        let privateKey = try KeySource.privateKey(
            settings.appPrivateKey ?? "", setting: "THREEPAY_ALIPAY_APP_PRIVATE_KEY")
        let publicKey = try KeySource.publicKey(
            settings.alipayPublicKey ?? "", setting: "THREEPAY_ALIPAY_PUBLIC_KEY")
        if publicKey.spkiBase64 == privateKey.publicKey.spkiBase64 {
            throw ConfigurationError(problems: [
                "THREEPAY_ALIPAY_PUBLIC_KEY is the merchant's own public key; it must be Alipay's public key"
            ])
        }
        alipay = AlipayConfiguration(
            gatewayURL: settings.gateway, appID: settings.appID ?? "", appPrivateKey: privateKey,
            alipayPublicKey: publicKey, notifyURL: settings.notifyURL)
        gatewaySeats = GatewaySeats(limit: configuration.gatewayConcurrency)
        flowSettings = PaymentFlow.Settings(
            qrValiditySeconds: configuration.qrTimeout.seconds, qrTimeoutExpress: configuration.qrTimeout.alipayText,
            defaultClientIP: configuration.defaultClientIP, sellerID: settings.sellerID,
            recordingReserveMilliseconds: min(3000, configuration.requestDeadlineMilliseconds / 4))
        if !configuration.callbackURLs.isEmpty, let setting = configuration.callbackSecret {
            let secret = try KeySource.load(setting, setting: "THREEPAY_CALLBACK_SECRET")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            guard secret.utf8.count >= 16 else {
                throw ConfigurationError(problems: ["THREEPAY_CALLBACK_SECRET must be at least 16 characters"])
            }
            callbackSecret = Array(secret.utf8)
        } else {
            callbackSecret = nil
        }
        try libraryInit()
        try HTTPClient.globalInit()
    }

    /// A new HTTP handle for one worker, with the gateway timeouts.
    func makeHTTPClient() throws -> HTTPClient {
        try HTTPClient(
            connectTimeoutMilliseconds: configuration.alipay.connectTimeoutMilliseconds,
            totalTimeoutMilliseconds: configuration.alipay.timeoutMilliseconds,
            verifyTLS: true, caFile: configuration.alipay.caFile)
    }

    /// Alipay's client on a new HTTP handle, behind the shared limit on calls under way.
    func makeGateway() throws -> GatewayBulkhead {
        let client = AlipayClient(configuration: alipay, transport: CurlTransport(client: try makeHTTPClient()))
        return GatewayBulkhead(client: client, seats: gatewaySeats)
    }

    /// A deadline for one request, or one background round, from now.
    func newDeadline() -> Deadline {
        .after(milliseconds: configuration.requestDeadlineMilliseconds)
    }

    /// A payment flow on its own connection and HTTP handle, and the callback dispatch (nil when no callback
    /// URL is configured), for a thread that is not a request worker (the background duties, `threepay sweep`).
    /// `index` numbers the background thread; its connection starts at the node after the workers' plus `index`.
    func makeBackgroundParts(index: Int) throws -> (flow: PaymentFlow, callbacks: CallbackDispatch?) {
        // After the last worker's node, so that their load also goes round the nodes of a cluster.
        let records = PaymentRecords(settings: configuration.database.startingAt(node: configuration.workers + index))
        let flow = PaymentFlow(store: records, gateway: try makeGateway(), settings: flowSettings)
        guard let callbackSecret else { return (flow, nil) }
        let client = try HTTPClient(connectTimeoutMilliseconds: 3000, totalTimeoutMilliseconds: 10000, verifyTLS: true)
        let poster = CallbackPoster(urls: configuration.callbackURLs, secret: callbackSecret, client: client)
        return (flow, CallbackDispatch(outbox: records, sender: poster))
    }

    /// The procedures the service needs that the database lacks; nil when the database cannot be
    /// reached now (the service still starts and answers 4001 until it can).
    func missingProcedures() -> [String]? {
        do {
            return try PaymentRecords(settings: configuration.database).missingProcedures(deadline: newDeadline())
        } catch {
            RequestLog.note("database not reachable at start-up: \(error)")
            return nil
        }
    }

    /// `--check-config`: settings and keys are already loaded; check the database too.
    func check() -> (ok: Bool, lines: [String]) {
        var lines = [
            "settings: OK",
            "listen: \(configuration.listen), workers: \(configuration.workers)",
            "keys: merchant private key and Alipay public key loaded",
            "gateway: \(SettingReader.displayURL(configuration.alipay.gateway)), app_id \(alipay.appID)",
        ]
        switch missingProcedures() {
        case .none:
            lines.append("database: NOT reachable")
            return (false, lines)
        case .some(let missing) where !missing.isEmpty:
            lines.append("database: reachable, but missing procedures: \(missing.joined(separator: ", "))")
            return (false, lines)
        case .some:
            lines.append("database: reachable, all procedures present")
            return (true, lines)
        }
    }
}

