import Alipay
import ContentNegotiation
import FastCGI
import PaymentModel
import PaymentStore
import Synchronization

/// The tag of the health answer: whether each part of the service can be used right now.
struct HealthResult: EnvelopeTag {
    static let xmlRootName = "CommonOperationResultWithTagOfHealthResultKp9g8rEY"
    static let contractNamespace = "http://schemas.datacontract.org/2004/07/DigitalScience.DataTransfer.Tour.V5.Result.Pay"

    var process: String
    var database: String
    var gateway: String

    var members: [TagMember] {
        [TagMember("process", process), TagMember("database", database), TagMember("gateway", gateway)]
    }
}

extension Worker {
    /// `GET api/3Pay/health`: the process is up; the database answers a procedure call; with
    /// `?gateway=1`, the Alipay gateway answers too (a query for a trade that does not exist).
    ///
    /// The database is asked on a connection of its own with 1-second timeouts and within one second, so health
    /// answers quickly whatever the database does; it never waits on the gateway unless asked to.
    func health(_ request: Request, _ deadline: Deadline) -> Response {
        let answer = Answer(for: request)
        var result = HealthResult(process: "up", database: "up", gateway: "not checked")
        var failure: ServiceError?
        do {
            _ = try healthRecords.find(autoid: 0, deadline: deadline.capped(atMilliseconds: 1000))
        } catch {
            result.database = "down"
            failure = .databaseUnavailable
        }
        if request.query.split(separator: "&").contains("gateway=1") {
            if gateway.answers(deadline: deadline) {
                result.gateway = "up"
            } else {
                result.gateway = "down"
                failure = failure ?? .gatewayUnavailable
            }
        }
        guard let failure else { return answer.envelope(Envelope.success(result)) }
        return answer.failure(failure, tag: result)
    }
}

extension GatewayBulkhead {
    /// True when the gateway gives a definite answer to a query for a trade that does not exist.
    func answers(deadline: Deadline) -> Bool {
        do {
            _ = try query(.outTradeNo("THREEPAY_HEALTH_CHECK"), deadline: deadline)
            return true
        } catch {
            return !error.outcomeIsUnknown
        }
    }
}

/// Health while every worker is busy. The doorman answers what waits in the listen queue with 4003, but a health
/// request is about the database's state, not the workers': when all of them are stuck on a database that has
/// stopped answering, health must say 4001. So the doorman asks the database itself, on a connection of its own
/// with 1-second timeouts, at most once a second (health requests in between get the last verdict): a busy
/// database that answers still gives 4003, one that does not gives 4001 within about a second.
final class DoormanHealth: Sendable {
    private struct State {
        var records: PaymentRecords
        var nextCheck = Deadline.after(milliseconds: 0)
        var databaseUp = true
    }

    private let state: Mutex<State>
    private let healthKey = Router.key("/api/3Pay/health")

    init(services: Services) {
        state = Mutex(State(records: PaymentRecords(settings: services.configuration.database.withTimeouts(seconds: 1))))
    }

    /// The 4001 health answer when `request` is a health request and the database does not answer; nil otherwise.
    func answer(_ request: Request) -> Response? {
        guard request.method == "GET", Router.key(request.path) == healthKey else { return nil }
        let databaseUp = state.withLock { state in
            if state.nextCheck.hasPassed {
                do {
                    _ = try state.records.find(autoid: 0, deadline: .after(milliseconds: 1000))
                    state.databaseUp = true
                } catch {
                    state.databaseUp = false
                }
                state.nextCheck = .after(milliseconds: 1000)
            }
            return state.databaseUp
        }
        guard !databaseUp else { return nil }
        return Answer(for: request).failure(
            .databaseUnavailable, tag: HealthResult(process: "up", database: "down", gateway: "not checked"))
    }
}
