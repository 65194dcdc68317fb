import Alipay
import CivilTime
import Foundation
import JSON
import SandboxGateway
import XCTest

/// The sandbox's small parts: JSON, form decoding, Beijing time, the state file, settings, the control API.
final class SandboxPiecesTests: XCTestCase {
    func testJSONKeepsNumberLiteralsAndRefusesDuplicates() throws {
        let value = try JSONParser.parse(#"{"a":88.88,"b":"x\/y\u4e2d","c":[true,null]}"#)
        XCTAssertEqual(value["a"], .number("88.88"))
        XCTAssertEqual(value["b"], .string("x/y中"))
        XCTAssertThrowsError(try JSONParser.parse(#"{"a":1,"a":2}"#))
        XCTAssertThrowsError(try JSONParser.parse(#"{"a":1} x"#))
        XCTAssertThrowsError(try JSONParser.parse(#"{"a":01}"#))
    }

    func testJSONWriterEscapesSlashesOnlyWhenAsked() {
        let value = JSONNode.object([("u", .string("https://a/\"b\"\n中"))])
        XCTAssertEqual(JSONWriter.text(value), #"{"u":"https:\/\/a\/\"b\"\n中"}"#)
        XCTAssertEqual(JSONWriter.text(value, escapingSlashes: false), #"{"u":"https://a/\"b\"\n中"}"#)
    }

    func testFormDecodingHappensExactlyOnce() throws {
        let pairs = try FormDecoding.pairs(Array("a=1+2%2B3&b=%2541&c=&d".utf8))
        XCTAssertEqual(pairs.map(\.0), ["a", "b", "c", "d"])
        XCTAssertEqual(pairs.map(\.1), ["1 2+3", "%41", "", ""])
        XCTAssertThrowsError(try FormDecoding.pairs(Array("a=%4".utf8)))
        XCTAssertThrowsError(try FormDecoding.parameters(from: [Array("a=1".utf8), Array("a=1".utf8)]))
        let text = "中 &=+/%"
        XCTAssertEqual(try FormDecoding.pairs(Array(FormDecoding.encode([("k", text)]).utf8)).first?.1, text)
    }

    func testBeijingTime() throws {
        let date = try XCTUnwrap(CivilTimeText.china.parse("2024-02-29 23:59:59"))
        XCTAssertEqual(date.timeIntervalSince1970, 1_709_222_399)
        XCTAssertEqual(CivilTimeText.china.format(date), "2024-02-29 23:59:59")
        XCTAssertNil(CivilTimeText.china.parse("2023-02-29 12:00:00"))
        XCTAssertNil(CivilTimeText.china.parse("2024-06-01T12:00:00"))
        XCTAssertNil(CivilTimeText.china.parse("2024-06-01 24:00:00"))
    }

    func testStateFileRoundTrip() throws {
        let sandbox = try SandboxHarness()
        _ = try sandbox.precreate("S1", amount: "12.34", subject: "带/斜杠")
        sandbox.controlAction("pay", "out_trade_no=S1&notify=0")
        _ = try sandbox.call("alipay.trade.refund", #"{"out_trade_no":"S1","refund_amount":"2.00","out_request_no":"R1"}"#)
        _ = try sandbox.precreate("S2")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = StateFile(path: path)
        let before = sandbox.book.allTrades(now: Date.distantPast)
        try file.save(before)
        XCTAssertEqual(try file.load(), before)
    }

    func testStateWriterSavesChangesInTheBackground() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = StateFile(path: path, minimumInterval: 0.05)
        let book = SandboxBook(onChange: { file.markDirty() })
        file.startWriter { book.allTrades(now: Date.distantPast) }
        let now = Date(timeIntervalSince1970: 1_717_214_400)
        let reference = TradeLookup(outTradeNo: "W1", tradeNo: nil)
        let request = try PrecreateRequest(
            biz: BizContent(text: #"{"out_trade_no":"W1","total_amount":"1.00","subject":"s"}"#), notifyURL: nil)
        _ = book.update(reference, now: now) { trade, fresh in
            TradeTransitions.precreate(&trade, request, now: now, fresh: fresh)
        }
        file.stopWriter()
        XCTAssertEqual(try file.load().map(\.outTradeNo), ["W1"])
    }

    func testConfigurationNamesTheBrokenSetting() throws {
        let keys = try SandboxTestKeys.pair()
        let good = [
            "THREEPAY_SANDBOX_LISTEN": "/tmp/sandbox-test.sock", "THREEPAY_SANDBOX_APP_ID": "2021000000000001",
            "THREEPAY_SANDBOX_APP_PUBLIC_KEY": keys.merchant.publicKey.spkiBase64,
            "THREEPAY_SANDBOX_PRIVATE_KEY": "/nonexistent/key.pem",
        ]
        XCTAssertThrowsError(try SandboxConfiguration.load(from: good)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("THREEPAY_SANDBOX_PRIVATE_KEY:"), text)
        }
        var broken = good
        broken["THREEPAY_SANDBOX_APP_PUBLIC_KEY"] = "MIIBIjANnot-a-key"
        XCTAssertThrowsError(try SandboxConfiguration.load(from: broken)) { error in
            XCTAssertTrue("\(error)".hasPrefix("THREEPAY_SANDBOX_APP_PUBLIC_KEY:"), "\(error)")
            XCTAssertFalse("\(error)".contains("MIIBIjANnot-a-key"), "key text must never be echoed")
        }
        for (name, value) in [("THREEPAY_SANDBOX_WORKERS", "0"), ("THREEPAY_SANDBOX_LISTEN", ""),
                              ("THREEPAY_SANDBOX_NOTIFY_SCHEDULE", "1,soon"), ("THREEPAY_SANDBOX_CONTROL", "yes")] {
            var environment = good
            environment[name] = value
            XCTAssertThrowsError(try SandboxConfiguration.load(from: environment)) { error in
                XCTAssertTrue("\(error)".hasPrefix(name), "\(error)")
            }
        }
        XCTAssertEqual(try NotifySchedule.parse("500ms, 1s ,2"), [0.5, 1, 2])
    }

    func testControlAPIAcceptsJSONAndFormAndListsTrades() throws {
        let sandbox = try SandboxHarness()
        _ = try sandbox.precreate("C1")
        let control = sandbox.control()
        let scan = control.handle(SandboxRequest(method: "POST", path: "/sandbox/scan", contentType: "application/json",
                                                 body: Array(#"{"out_trade_no":"C1"}"#.utf8)))
        XCTAssertEqual(scan.status, 200)
        XCTAssertEqual(try JSONParser.parse(scan.body)["trade"]?["status"], .string("WAIT_BUYER_PAY"))
        XCTAssertEqual(sandbox.controlAction("pay", "out_trade_no=NOPE").status, 404)
        XCTAssertEqual(sandbox.controlAction("pay", "").status, 400)

        let list = control.handle(SandboxRequest(method: "GET", path: "/sandbox/trades"))
        guard case .array(let trades)? = try JSONParser.parse(list.body)["trades"] else {
            return XCTFail("no trades list")
        }
        XCTAssertEqual(trades.count, 1)
        let one = control.handle(SandboxRequest(method: "GET", path: "/sandbox/trades/C1"))
        XCTAssertEqual(try JSONParser.parse(one.body)["out_trade_no"], .string("C1"))
        XCTAssertEqual(control.handle(SandboxRequest(method: "GET", path: "/sandbox/trades/C2")).status, 404)
        XCTAssertEqual(control.handle(SandboxRequest(method: "GET", path: "/sandbox/pay")).status, 405)

        XCTAssertEqual(sandbox.controlAction("reset", "trades=1").status, 200)
        XCTAssertTrue(sandbox.book.allTrades(now: sandbox.clock.now).isEmpty)
    }

    func testSinkNumbersWhatItKeepsAndListsOnlyTheNewEntries() throws {
        let sink = NotificationSink(capacity: 4)
        func post(_ count: Int) {
            for _ in 0..<count {
                _ = sink.receive(SandboxRequest(method: "POST", path: "/sandbox/sink", body: Array("a=1".utf8)))
            }
        }
        post(3)
        XCTAssertEqual(sink.received(after: 0).map(\.sequence), [1, 2, 3])
        XCTAssertEqual(sink.received(after: 2).map(\.sequence), [3])
        XCTAssertEqual(sink.received(after: 3).map(\.sequence), [])
        // Past capacity + a quarter it drops the oldest, down to capacity: a reader that had seen 1 finds 3 first.
        post(3)
        XCTAssertEqual(sink.received.map(\.sequence), [3, 4, 5, 6])
        XCTAssertEqual(sink.received(after: 1).first?.sequence, 3)
        sink.clear()
        post(1)
        XCTAssertEqual(sink.received.map(\.sequence), [1])
    }

    func testSinkListsEntriesAfterANumberOverTheControlAPI() throws {
        let control = try SandboxHarness().control()
        for body in ["first=1", "second=2"] {
            let answer = control.handle(SandboxRequest(method: "POST", path: "/sandbox/sink", body: Array(body.utf8)))
            XCTAssertEqual(String(decoding: answer.body, as: UTF8.self), "success")
        }
        let all = control.handle(SandboxRequest(method: "GET", path: "/sandbox/sink"))
        guard case .array(let kept)? = try JSONParser.parse(all.body)["received"] else { return XCTFail("no list") }
        XCTAssertEqual(kept.map { $0["seq"] }, [.number("1"), .number("2")])
        let later = control.handle(SandboxRequest(method: "GET", path: "/sandbox/sink", query: "after=1"))
        guard case .array(let new)? = try JSONParser.parse(later.body)["received"] else { return XCTFail("no list") }
        XCTAssertEqual(new.map { $0["body"] }, [.string("second=2")])
        XCTAssertEqual(control.handle(SandboxRequest(method: "GET", path: "/sandbox/sink", query: "after=x")).status, 400)
    }
}
