import CurlClient
import Foundation
import XCTest

/// The responder behind a real nginx: routing, limits, concurrency.
final class FoundationTests: XCTestCase {
    func testHealthAnswersThroughNginx() async throws {
        let answer = try await HTTP.get("/api/3Pay/health")
        XCTAssertEqual(answer.status, 200)
        XCTAssertEqual(answer.header("Content-Type"), "application/json; charset=utf-8")
        let body = try answer.json()
        XCTAssertEqual(body["errcode"] as? Int, 0)
        let tag = try XCTUnwrap(body["tag"] as? [String: Any])
        XCTAssertEqual(tag["process"] as? String, "up")
        XCTAssertEqual(tag["database"] as? String, "up")
    }

    func testRoutesIgnoreCaseLikeTheOriginal() async throws {
        let answer = try await HTTP.get("/api/3pay/HEALTH")
        XCTAssertEqual(answer.status, 200)
    }

    func testUnknownPathIs404WithAnEnvelope() async throws {
        let answer = try await HTTP.post("/api/3Pay/NoSuchThing", accept: "application/json")
        XCTAssertEqual(answer.status, 404)
        let body = try answer.json()
        XCTAssertEqual(body["errcode"] as? Int, 1404)
        XCTAssertNotNil(body["errmsg"] as? String)
    }

    func testWrongMethodIs405WithAllow() async throws {
        let answer = try await HTTP.get("/api/3Pay/AliPay/ScanCode")
        XCTAssertEqual(answer.status, 405)
        XCTAssertEqual(answer.header("Allow"), "POST")
        XCTAssertEqual(try answer.json()["errcode"] as? Int, 1405)
    }

    func testWrongMethodAnswersXMLWhenAsked() async throws {
        let answer = try await HTTP.post("/api/3Pay/health", accept: "application/xml")
        XCTAssertEqual(answer.status, 405)
        XCTAssertEqual(answer.header("Allow"), "GET")
        XCTAssertEqual(answer.header("Content-Type"), "application/xml; charset=utf-8")
        XCTAssertTrue(answer.text.contains("<errcode>1405</errcode>"), answer.text)
    }

    func testBodyOverTheLimitIs413() async throws {
        let big = [UInt8](repeating: UInt8(ascii: "a"), count: 70_000)
        let answer = try await HTTP.post("/api/3Pay/AliPay/ScanCode", big, contentType: "application/json")
        XCTAssertEqual(answer.status, 413)
        XCTAssertEqual(try answer.json()["errcode"] as? Int, 1004)
    }

    func testSixtyFourConcurrentRequestsAreAllAnswered() async throws {
        let answers = try await withThrowingTaskGroup(of: HTTPReply.self) { group in
            for _ in 0..<64 {
                group.addTask { try await HTTP.get("/api/3Pay/health") }
            }
            var all: [HTTPReply] = []
            for try await answer in group { all.append(answer) }
            return all
        }
        XCTAssertEqual(answers.count, 64)
        for answer in answers {
            XCTAssertEqual(answer.status, 200)
            XCTAssertEqual(try answer.json()["errcode"] as? Int, 0)
        }
    }
}
