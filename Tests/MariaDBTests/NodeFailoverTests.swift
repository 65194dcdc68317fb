import Foundation
import MariaDB
import PaymentFlow
@testable import PaymentStore
import XCTest

/// Several nodes (a Galera cluster's): a connection uses one, passes over one that cannot be reached, and moves on
/// to the next after a loss. The test server stands for every node that answers; a socket that does not exist
/// stands for a node that is down.
final class NodeFailoverTests: XCTestCase {
    private let down = ConnectionSettings.Endpoint.unixSocket(path: "/nonexistent-threepay-node/mariadb.sock")

    func testANodeThatCannotBeReachedIsPassedOverForTheNext() throws {
        var settings = try TestDatabase.settings()
        let up = settings.endpoint
        settings.endpoint = down
        settings.otherEndpoints = [up]
        let connection = try Connection(settings: settings)
        XCTAssertEqual(connection.nodeIndex, 1)
        XCTAssertEqual(connection.currentEndpoint, up)
        XCTAssertEqual(try connection.execute("SELECT 1 AS one").first?.rows.first?.int64("one"), 1)
    }

    func testALostConnectionContinuesOnTheNextNode() throws {
        var settings = try TestDatabase.settings()
        settings.otherEndpoints = [settings.endpoint]
        let store = try PaymentRecords(connectionSettings: settings)
        let record = try store.begin(TestDatabase.input(TestDatabase.uniqueBillnum())).record
        XCTAssertEqual(store.connection.nodeIndex, 0)
        try TestDatabase.killConnection(of: store.connection)
        XCTAssertEqual(try store.find(autoid: record.autoid), record, "answered on the next node")
        XCTAssertEqual(store.connection.nodeIndex, 1)
    }

    func testAStoreGetsOneMoreTryPerNode() throws {
        var settings = try TestDatabase.settings()
        let up = settings.endpoint
        // Connected to the last node; when it is lost, the next connection tries the two that are down first.
        settings.endpoint = up
        settings.otherEndpoints = [down, down]
        let store = try PaymentRecords(connectionSettings: settings)
        let record = try store.begin(TestDatabase.input(TestDatabase.uniqueBillnum())).record
        try TestDatabase.killConnection(of: store.connection)
        XCTAssertEqual(try store.find(autoid: record.autoid), record)
        XCTAssertEqual(store.connection.nodeIndex, 0, "back on the one node that answers")
    }

    func testWhenNoNodeAnswersTheCallIsUnavailable() throws {
        var settings = try TestDatabase.settings()
        settings.endpoint = down
        settings.otherEndpoints = [.unixSocket(path: "/nonexistent-threepay-node/other.sock")]
        let store = PaymentRecords(connection: Connection(settings: settings, connectingNow: false))
        XCTAssertThrowsError(try store.find(autoid: 1)) { error in
            guard case .unavailable = error as? StoreError else { return XCTFail("\(error)") }
        }
        XCTAssertFalse(store.connection.isConnected)
    }

    func testAServerThatIsNotAGaleraNodeIsUsedAsItIs() throws {
        let connection = try TestDatabase.connect()
        let wsrep = try connection.execute("SELECT @@global.wsrep_on AS w, @@session.wsrep_sync_wait AS s")
            .first?.rows.first
        let galera = try wsrep?.int64("w") == 1
        XCTAssertEqual(connection.isGaleraNode, galera)
        if !galera {
            XCTAssertEqual(try wsrep?.int64("s"), 0, "the session is left as the server made it")
        } else {
            XCTAssertEqual(try wsrep?.int64("s"), 1, "a Galera node's session waits for the cluster's commits")
        }
    }

    func testWorkersStartOnTheNodesInTurn() {
        let settings = DatabaseSettings(
            nodes: [.host("db1", port: 3306), .host("db2", port: 3307), .socket("/run/db3.sock")], user: "u",
            name: "threepay")
        func order(_ worker: Int) -> [ConnectionSettings.Endpoint] {
            settings.startingAt(node: worker).connectionSettings.endpoints
        }
        XCTAssertEqual(order(0), [.tcp(host: "db1", port: 3306), .tcp(host: "db2", port: 3307), .unixSocket(path: "/run/db3.sock")])
        XCTAssertEqual(order(1), [.tcp(host: "db2", port: 3307), .unixSocket(path: "/run/db3.sock"), .tcp(host: "db1", port: 3306)])
        XCTAssertEqual(order(5), order(2))
        XCTAssertEqual(order(-1), order(2))
        let single = DatabaseSettings(socket: "/run/one.sock", user: "u", name: "threepay")
        XCTAssertEqual(single.startingAt(node: 7).connectionSettings.endpoints, [.unixSocket(path: "/run/one.sock")])
    }
}
