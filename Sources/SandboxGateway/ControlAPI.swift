import Alipay
import Foundation
import JSON
import PaymentModel

/// The `/sandbox/` control actions: drive trades (scan, pay, close), inspect the book and the notifications,
/// and configure faults. Enabled only with `THREEPAY_SANDBOX_CONTROL=1`. Parameters come from the query
/// string and a form or JSON body; answers are JSON (`{"ok":false,"error":…}` with 400/404/405/409 on refusal).
///
/// - `POST scan|pay|close` `out_trade_no` (`pay` scans first; `notify=0` pays without notifying);
///   `POST notify` `out_trade_no` sends the paid trade's notification again (a new `notify_id`);
///   `POST refund` `out_trade_no`, `refund_amount`, optional `out_request_no` refunds a paid trade as the
///   merchant's portal would (outside the API) and notifies it (`notify=0`: without).
/// - `GET trades`, `GET trades/<out_trade_no>`, `GET notifications[?out_trade_no=]`, `GET health`.
/// - `GET|POST faults` (JSON, see `FaultSettings`); `POST reset` clears faults, with `trades=1` also the
///   book, the notification log, pending resends and the sink.
/// - `POST sink[?reply=text]` a stand-in merchant that records the body and answers `success` (or `text`);
///   `GET sink[?after=n]` lists what it kept (the last 20,000), or only the entries numbered above n.
public final class ControlAPI: Sendable {
    public let book: SandboxBook
    public let faults: FaultPlan
    public let log: NotificationLog
    public let sink = NotificationSink()
    private let notifications: NotificationBuilder
    private let notifier: Notifier?
    private let clock: @Sendable () -> Date

    public init(
        book: SandboxBook, faults: FaultPlan, log: NotificationLog, notifications: NotificationBuilder,
        notifier: Notifier?, clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.book = book
        self.faults = faults
        self.log = log
        self.notifications = notifications
        self.notifier = notifier
        self.clock = clock
    }

    /// Routes one request under `/sandbox/`.
    public func handle(_ request: SandboxRequest) -> SandboxReply {
        let route = request.path.dropFirst("/sandbox".count)
        switch (request.method, route) {
        case ("GET", "/health"): return .json(.object([("ok", .bool(true))]))
        case ("GET", "/trades"): return listTrades()
        case ("GET", _) where route.hasPrefix("/trades/"): return showTrade(String(route.dropFirst("/trades/".count)))
        case ("GET", "/notifications"): return listNotifications(request)
        case ("GET", "/faults"): return .json(faults.settings.json)
        case ("POST", "/faults"): return setFaults(request)
        case ("POST", "/sink"): return sink.receive(request)
        case ("GET", "/sink"): return listSink(request)
        case ("POST", "/scan"), ("POST", "/pay"), ("POST", "/close"), ("POST", "/notify"), ("POST", "/reset"),
             ("POST", "/refund"):
            do {
                let params = try ControlParameters.read(request)
                return perform(String(route.dropFirst()), params)
            } catch {
                return .error(error.message, status: error.status)
            }
        case (_, "/trades"), (_, "/notifications"), (_, "/faults"), (_, "/scan"), (_, "/pay"), (_, "/close"),
             (_, "/notify"), (_, "/reset"), (_, "/health"), (_, "/sink"), (_, "/refund"):
            return .error("method \(request.method) not allowed here", status: 405)
        default:
            return .error("no such control action", status: 404)
        }
    }

    private func perform(_ action: String, _ params: [String: String]) -> SandboxReply {
        if action == "reset" { return reset(params) }
        guard let outTradeNo = params["out_trade_no"], !outTradeNo.isEmpty else {
            return .error("out_trade_no is required", status: 400)
        }
        let now = clock()
        let reference = TradeLookup(outTradeNo: outTradeNo, tradeNo: nil)
        if action == "refund" { return refund(reference, params, now: now) }
        let result: Result<SandboxTrade, ControlRefusal> = book.update(reference, now: now) { trade, fresh in
            switch action {
            case "scan": return TradeTransitions.scan(&trade, now: now, fresh: fresh)
            case "pay": return TradeTransitions.pay(&trade, now: now, fresh: fresh)
            case "close": return TradeTransitions.controlClose(&trade, now: now)
            default:
                guard let trade, trade.status == .success || trade.paidAt != nil else {
                    return .failure(ControlRefusal(status: 409, message: "only a paid trade can be notified"))
                }
                return .success(trade)
            }
        }
        switch result {
        case .failure(let refusal):
            return .error(refusal.message, status: refusal.status)
        case .success(let trade):
            var members: [(String, JSONNode)] = [("ok", .bool(true)), ("trade", TradeJSON.encode(trade))]
            if action == "pay" || action == "notify" {
                members.append(("notification", .string(notify(trade, wanted: params["notify"] != "0", now: now))))
            }
            return .json(.object(members))
        }
    }

    /// A refund made outside the API (the merchant's portal), then notified like any refund.
    private func refund(_ reference: TradeLookup, _ params: [String: String], now: Date) -> SandboxReply {
        guard let amount = params["refund_amount"].flatMap(Money.init(exactly:)), amount.fen > 0 else {
            return .error("refund_amount must be a positive amount", status: 400)
        }
        let requestNo = params["out_request_no"].flatMap { $0.isEmpty ? nil : $0 }
            ?? SandboxIdentifiers.refundRequestNo(at: now)
        let request = RefundRequest(
            reference: reference, refundAmount: amount, outRequestNo: requestNo, reason: "portal")
        var moved: (SandboxTrade, SandboxRefund)?
        let reply = book.update(reference, now: now) { trade, _ in
            let outcome = TradeTransitions.refundMovingMoney(&trade, request, now: now)
            if let refund = outcome.moved, let trade { moved = (trade, refund) }
            return outcome.reply
        }
        guard let (trade, refund) = moved else {
            return .error("not refunded: \(reply.subCode ?? reply.code) \(reply.subMsg ?? "")", status: 409)
        }
        return .json(.object([
            ("ok", .bool(true)), ("trade", TradeJSON.encode(trade)), ("out_request_no", .string(refund.outRequestNo)),
            ("notification", .string(notify(trade, refund: refund, wanted: params["notify"] != "0", now: now))),
        ]))
    }

    /// Queues the payment (or refund) notification; says what happened.
    private func notify(_ trade: SandboxTrade, refund: SandboxRefund? = nil, wanted: Bool, now: Date) -> String {
        guard wanted else { return "skipped (notify=0)" }
        guard let notifier else { return "skipped (notifier not running)" }
        do {
            guard let job = try notifications.job(for: trade, refund: refund, at: now) else {
                return "skipped (no notify_url)"
            }
            notifier.enqueue(job)
            return "queued \(job.notifyID)"
        } catch {
            return "failed: the notification could not be signed"
        }
    }

    private func reset(_ params: [String: String]) -> SandboxReply {
        faults.reset()
        let clearTrades = ["1", "true", "yes"].contains(params["trades"] ?? "")
        if clearTrades {
            book.replaceAll(with: [])
            log.clear()
            sink.clear()
            notifier?.clearPending()
        }
        return .json(.object([("ok", .bool(true)), ("trades_cleared", .bool(clearTrades))]))
    }

    private func listTrades() -> SandboxReply {
        .json(.object([("trades", .array(book.allTrades(now: clock()).map(TradeJSON.encode)))]))
    }

    private func showTrade(_ outTradeNo: String) -> SandboxReply {
        // nginx has already decoded the path (DOCUMENT_URI); decoding again would be a second decode.
        guard let trade = book.trade(outTradeNo: outTradeNo, now: clock()) else {
            return .error("no such trade", status: 404)
        }
        return .json(TradeJSON.encode(trade))
    }

    /// `GET sink[?after=n]`: what the sink kept, or only the entries numbered above `n`.
    private func listSink(_ request: SandboxRequest) -> SandboxReply {
        // Entries are numbered from 1, so no `after` lists everything kept.
        var sequence = 0
        if let after = (try? FormDecoding.pairs(Array(request.query.utf8)))?.first(where: { $0.0 == "after" })?.1 {
            guard let number = Int(after), number >= 0 else {
                return .error("after must be a whole number of 0 or more", status: 400)
            }
            sequence = number
        }
        return .json(.object([("received", .array(sink.received(after: sequence).map(\.json)))]))
    }

    private func listNotifications(_ request: SandboxRequest) -> SandboxReply {
        let filter = (try? FormDecoding.pairs(Array(request.query.utf8)))?.first { $0.0 == "out_trade_no" }?.1
        return .json(.object([("notifications", .array(log.entries(outTradeNo: filter).map(\.json)))]))
    }

    private func setFaults(_ request: SandboxRequest) -> SandboxReply {
        do {
            let value = try JSONParser.parse(request.body)
            let settings = try FaultSettings.parse(value, defaultHangMilliseconds: faults.defaultHangMilliseconds)
            faults.configure(settings)
            return .json(.object([("ok", .bool(true)), ("faults", settings.json)]))
        } catch let refusal as ControlRefusal {
            return .error(refusal.message, status: refusal.status)
        } catch {
            return .error("the body must be a JSON object: \(error)", status: 400)
        }
    }
}

/// Reads control parameters from the query string and a form or JSON body.
enum ControlParameters {
    static func read(_ request: SandboxRequest) throws(ControlRefusal) -> [String: String] {
        var forms = [Array(request.query.utf8)]
        var params: [String: String] = [:]
        if request.hasJSONBody {
            guard case .object(let members)? = try? JSONParser.parse(request.body) else {
                throw ControlRefusal(status: 400, message: "the body is not a JSON object")
            }
            for (name, value) in members {
                switch value {
                case .bool(let flag): params[name] = flag ? "1" : "0"
                default: params[name] = value.scalarText
                }
            }
        } else if request.hasFormBody {
            forms.append(request.body)
        }
        do {
            let formParams = try FormDecoding.parameters(from: forms)
            return params.merging(formParams) { json, _ in json }
        } catch {
            throw ControlRefusal(status: 400, message: "bad form: \(error)")
        }
    }
}
