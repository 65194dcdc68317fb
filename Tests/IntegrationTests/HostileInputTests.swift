import Foundation
import XCTest

/// Hundreds of hostile ScanCode requests through nginx (see `HostileCorpus`), 16 at a time. Each
/// must end in a clean error envelope (or nginx's 413) or, for the valid ones, errcode 0 with its
/// text stored exactly; none may write a record it should not, and the responder must stay healthy.
final class HostileInputTests: XCTestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        // Gateway faults left by another test would turn the valid cases into gateway failures.
        try StackSandbox(try StackClient()).resetFaults()
    }

    private func run(_ cases: [HostileCase], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(cases.isEmpty, file: file, line: line)
        let names = cases.map(\.name)
        XCTAssertEqual(Set(names).count, names.count, "case names must be unique: a failure names its case", file: file, line: line)
        for problem in HostileRunner.run(cases).sorted() {
            XCTFail(problem, file: file, line: line)
        }
        XCTAssertTrue((try? StackClient())?.responderIsHealthy() == true, "the responder is not healthy after the corpus",
                      file: file, line: line)
    }

    func testCorpusHasAtLeast300Cases() {
        let all = HostileCorpus.all
        XCTAssertGreaterThanOrEqual(all.count, 300)
        print("HostileCorpus: \(all.count) cases")
    }

    func testTruncatedDocuments() { run(HostileCorpus.truncated) }
    func testDeepNesting() { run(HostileCorpus.nesting) }
    func testXMLDeclarationsAndEntities() { run(HostileCorpus.declarations) }
    func testInvalidTextAndNUL() { run(HostileCorpus.invalidText) }
    func testHugeNumbersAndExponents() { run(HostileCorpus.hugeNumbers) }
    func testDuplicateAndOddlyCasedMembers() { run(HostileCorpus.duplicates) }
    func testInjectionStringsAreStoredVerbatim() { run(HostileCorpus.injections) }
    func testOversizedMembersAndBodies() { run(HostileCorpus.oversized) }
    func testWrongAndMissingContentTypes() { run(HostileCorpus.contentTypes) }
    func testCharsetLiesAndTheGBKFamily() { run(HostileCorpus.charsetLies) }
    func testOddHeaders() { run(HostileCorpus.oddHeaders) }
    func testEmptyAndTrivialBodies() { run(HostileCorpus.trivialBodies) }
    func testJSONLeniencyIsRefused() { run(HostileCorpus.jsonLeniency) }
    func testCountsAtAndOverTheCaps() { run(HostileCorpus.caps) }
}
