import Foundation
import XCTest

/// The issue's acceptance tests for `POST api/3Pay/AliPay/ScanCode` through nginx, the responder,
/// MariaDB and the sandbox gateway: the seed's samples, forms in UTF-8 and GBK, retries, a changed
/// amount, the default client IP.
final class ScanCodeEndToEndTests: ScanCodeTestCase {
    func testSeedJSONSampleIssuesAQRCode() throws {
        let billnum = ScanCodeBillNumbers.next("json")
        // The seed's JSON sample with valid values, pretty-printed as the help page showed it.
        let body = """
            {
              "billnum": "\(billnum)",
              "billtype": "2",
              "body": "景区门票",
              "paytype": "01",
              "paymentvalue": 5.0,
              "detail": "成人票 x1",
              "clientip": "10.0.0.8",
              "cardno": "6222000011112222"
            }
            """
        let reply = try client.scanCode(Array(body.utf8), contentType: "application/json")
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(reply.header("Content-Type"), "application/json; charset=utf-8")
        let answer = try envelope(reply)
        let record = try assertIssued(answer, billnum: billnum)
        XCTAssertEqual(
            reply.text,
            ScanCodeLegacyAnswer.jsonSuccess(autoid: record.autoid, billnum: billnum, codeurl: record.codeurl ?? ""))
        XCTAssertEqual(record.billtype, "2")
        XCTAssertEqual(record.body, "景区门票")
        XCTAssertEqual(record.paytype, "01")
        XCTAssertEqual(record.paymentvalue, "5.00")
        XCTAssertEqual(record.detail, "成人票 x1")
        XCTAssertEqual(record.clientip, "10.0.0.8")
        XCTAssertEqual(record.cardno, "6222000011112222")
        let trade = try XCTUnwrap(try sandbox.trade(try XCTUnwrap(record.outTradeNo)))
        XCTAssertEqual(trade["subject"], "景区门票")
        XCTAssertEqual(trade["status"], "CREATED")
        XCTAssertTrue((try sandbox.trades()).contains { $0["out_trade_no"] == record.outTradeNo })
    }

    func testSeedXMLSampleIssuesAQRCodeAndAnswersInTheSampleShape() throws {
        let billnum = ScanCodeBillNumbers.next("xml")
        // The seed's XML sample (members in DataContract order, pretty-printed) with valid values.
        let body = """
            <AliScanCodeParm xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/DigitalScience.DataTransfer.Tour.V5.Parm.Pay">
              <billnum>\(billnum)</billnum>
              <billtype>2</billtype>
              <body>景区门票</body>
              <cardno>6222000011112222</cardno>
              <clientip>10.0.0.9</clientip>
              <detail>成人票 x1</detail>
              <paymentvalue>5</paymentvalue>
              <paytype>01</paytype>
            </AliScanCodeParm>
            """
        let reply = try client.scanCode(Array(body.utf8), contentType: "application/xml")
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(reply.header("Content-Type"), "application/xml; charset=utf-8")
        let answer = try envelope(reply)
        XCTAssertEqual(answer.format, .xml)
        let record = try assertIssued(answer, billnum: billnum)
        // Byte-exact: root name with its digest, xmlns:i before xmlns, errcode/errmsg/tag, d2p1 on tag,
        // autoid/billnum/codeurl in that order; no declaration, no indentation, no trailing newline.
        XCTAssertEqual(
            reply.text,
            ScanCodeLegacyAnswer.xmlSuccess(autoid: record.autoid, billnum: billnum, codeurl: record.codeurl ?? ""))
        XCTAssertEqual(record.paymentvalue, "5.00")
        XCTAssertEqual(record.clientip, "10.0.0.9")
        XCTAssertEqual(record.detail, "成人票 x1")
        XCTAssertEqual(record.cardno, "6222000011112222")
    }

    func testFormPostStoresChineseText() throws {
        let billnum = ScanCodeBillNumbers.next("form")
        // The typical legacy post (jQuery $.post, .NET FormUrlEncodedContent).
        let body = "billnum=\(billnum)&billtype=2&body=%E9%97%A8%E7%A5%A8&paytype=01&paymentvalue=0.01"
            + "&clientip=10.0.0.8&detail=%E4%B8%AD%E6%96%87+%E8%AF%A6%E6%83%85"
        let reply = try client.scanCode(
            Array(body.utf8), contentType: "application/x-www-form-urlencoded; charset=UTF-8",
            accept: "application/json, text/javascript, */*; q=0.01")
        XCTAssertEqual(reply.header("Content-Type"), "application/json; charset=utf-8")
        let record = try assertIssued(try envelope(reply), billnum: billnum)
        XCTAssertEqual(record.body, "门票")
        XCTAssertEqual(record.detail, "中文 详情")
        XCTAssertEqual(record.paymentvalue, "0.01")
    }

    func testGBKFormPostStoresChineseText() throws {
        let billnum = ScanCodeBillNumbers.next("gbkf")
        let bill = ScanCodeBill.valid(billnum, amount: "12.50")
            .setting("body", .bytes(ScanCodeGBK.scenicTicketAdult.bytes))
            .setting("detail", .bytes(ScanCodeGBK.detail.bytes))
        let reply = try client.scanCode(bill.form(), contentType: "application/x-www-form-urlencoded; charset=GBK")
        let record = try assertIssued(try envelope(reply), billnum: billnum)
        XCTAssertEqual(record.body, ScanCodeGBK.scenicTicketAdult.text)
        XCTAssertEqual(record.detail, ScanCodeGBK.detail.text)
        XCTAssertEqual(record.paymentvalue, "12.50")
        let trade = try XCTUnwrap(try sandbox.trade(try XCTUnwrap(record.outTradeNo)))
        XCTAssertEqual(trade["subject"], ScanCodeGBK.scenicTicketAdult.text)
    }

    func testGBKFamilyJSONAndXMLStoreChineseText() throws {
        let cases: [(ScanCodeTestCase.Format, String)] = [
            (.json, "application/json; charset=GBK"), (.xml, "application/xml; charset=gb2312"),
            (.json, "text/json; charset=GB18030"), (.form, "application/x-www-form-urlencoded; charset=gb18030"),
        ]
        for (format, contentType) in cases {
            let billnum = ScanCodeBillNumbers.next("gbk")
            var bill = ScanCodeBill.valid(billnum)
                .setting("body", .bytes(ScanCodeGBK.testGoods.bytes))
                .setting("detail", .bytes(ScanCodeGBK.cardRecharge.bytes))
            if contentType.lowercased().contains("gb18030") {
                bill = bill.setting("detail", .bytes(ScanCodeGBK.cardRecharge.bytes + ScanCodeGBK.grinningFace.bytes))
            }
            let (_, answer) = try send(bill, as: format, contentType: contentType)
            let record = try assertIssued(answer, billnum: billnum)
            XCTAssertEqual(record.body, ScanCodeGBK.testGoods.text, contentType)
            let detail = ScanCodeGBK.cardRecharge.text + (contentType.lowercased().contains("gb18030") ? "😀" : "")
            XCTAssertEqual(record.detail, detail, contentType)
        }
    }

    func testRetryingTheSameBillReturnsTheSameQRCodeWithoutASecondRecord() throws {
        let billnum = ScanCodeBillNumbers.next("retry")
        let bill = ScanCodeBill.valid(billnum, amount: "20.00")
        let first = try send(bill).envelope
        let record = try assertIssued(first, billnum: billnum)
        // The same bill again, also in the other formats: one record, one QR code.
        for format in ScanCodeTestCase.Format.allCases {
            let again = try send(bill, as: format).envelope
            XCTAssertEqual(again.errcode, 0, "\(format): \(again.errmsg ?? "")")
            XCTAssertEqual(again.codeurl, first.codeurl, "\(format)")
            XCTAssertEqual(again.autoid, first.autoid, "\(format)")
        }
        let records = try database.records(billnum: billnum)
        XCTAssertEqual(records.count, 1, "\(records)")
        XCTAssertEqual(records.first?.outTradeNo, record.outTradeNo)
        XCTAssertEqual(records.first?.status, "QR_ISSUED")
    }

    func testChangedAmountClosesTheOldTradeAndIssuesANewOne() throws {
        let billnum = ScanCodeBillNumbers.next("amend")
        let first = try send(ScanCodeBill.valid(billnum, amount: "5.00")).envelope
        let old = try assertIssued(first, billnum: billnum)

        let second = try send(ScanCodeBill.valid(billnum, amount: "6.00")).envelope
        XCTAssertEqual(second.errcode, 0, second.errmsg ?? "")
        XCTAssertNotEqual(second.codeurl, first.codeurl)
        XCTAssertNotEqual(second.autoid, first.autoid)

        let records = try database.records(billnum: billnum)
        XCTAssertEqual(records.count, 2, "\(records)")
        XCTAssertEqual(records.first?.status, "CLOSED")
        XCTAssertEqual(records.first?.paymentvalue, "5.00")
        let current = try XCTUnwrap(records.last)
        XCTAssertEqual(current.status, "QR_ISSUED")
        XCTAssertEqual(current.paymentvalue, "6.00")
        XCTAssertEqual(current.codeurl, second.codeurl)
        XCTAssertEqual(current.autoid, second.autoid)
        XCTAssertNotEqual(current.outTradeNo, old.outTradeNo)

        let oldTrade = try XCTUnwrap(try sandbox.trade(try XCTUnwrap(old.outTradeNo)))
        XCTAssertEqual(oldTrade["status"], "TRADE_CLOSED")
        let newTrade = try XCTUnwrap(try sandbox.trade(try XCTUnwrap(current.outTradeNo)))
        XCTAssertEqual(newTrade["status"], "CREATED")
        XCTAssertEqual(newTrade["total_amount"], "6.00")
        XCTAssertEqual(newTrade["qr_code"], second.codeurl)

        // Asking again with the new amount hands back the new code; nothing else changes.
        let third = try send(ScanCodeBill.valid(billnum, amount: "6.00")).envelope
        XCTAssertEqual(third.codeurl, second.codeurl)
        XCTAssertEqual(try database.records(billnum: billnum).count, 2)
    }

    /// A cashier's double click, or a POS retrying on its own: many requests for one bill at once
    /// still make one record and one QR code.
    func testConcurrentRequestsForOneBillShareOneRecord() throws {
        let billnum = ScanCodeBillNumbers.next("dup")
        let body = ScanCodeBill.valid(billnum, amount: "18.00").json()
        let answers = ScanCodeConcurrentAnswers()
        let group = DispatchGroup()
        for _ in 0..<12 {
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    let reply = try StackClient().scanCode(body, contentType: "application/json")
                    answers.add(try ScanCodeEnvelope.parse(reply))
                } catch {
                    answers.add(error: "\(error)")
                }
            }.start()
        }
        group.wait()
        XCTAssertEqual(answers.errors, [])
        XCTAssertEqual(answers.envelopes.count, 12)
        for answer in answers.envelopes {
            XCTAssertEqual(answer.errcode, 0, answer.errmsg ?? "")
        }
        XCTAssertEqual(Set(answers.envelopes.compactMap(\.codeurl)).count, 1, "different QR codes for one bill")
        let records = try database.records(billnum: billnum)
        XCTAssertEqual(records.count, 1, "\(records)")
        XCTAssertEqual(records.first?.codeurl, answers.envelopes.first?.codeurl)
    }

    /// Once the buyer has paid, the bill cannot be issued again, not even with another amount.
    func testPaidBillIsNotIssuedAgain() throws {
        let billnum = ScanCodeBillNumbers.next("paid")
        let first = try send(ScanCodeBill.valid(billnum, amount: "7.00")).envelope
        let record = try assertIssued(first, billnum: billnum)
        XCTAssertEqual(try sandbox.pay(try XCTUnwrap(record.outTradeNo), notify: false).status, 200)

        let changed = try send(ScanCodeBill.valid(billnum, amount: "8.00")).envelope
        XCTAssertEqual(changed.errcode, 2001, changed.errmsg ?? "")
        XCTAssertNil(changed.codeurl)
        let again = try send(ScanCodeBill.valid(billnum, amount: "7.00")).envelope
        XCTAssertEqual(again.errcode, 2001, again.errmsg ?? "")
        let records = try database.records(billnum: billnum)
        XCTAssertEqual(records.count, 1, "\(records)")
        XCTAssertEqual(records.first?.status, "PAID")
        let trade = try XCTUnwrap(try sandbox.trade(try XCTUnwrap(record.outTradeNo)))
        XCTAssertEqual(trade["status"], "TRADE_SUCCESS")
    }

    /// The echoed billnum is escaped exactly as Json.NET and DataContractSerializer wrote it.
    func testAnswersEscapeTheBillnumLikeTheLegacyWriters() throws {
        for tail in ["<&>\"'/", "\u{1}\u{2028}\t"] {
            for accept in ["application/json", "application/xml"] {
                let billnum = ScanCodeBillNumbers.next("esc") + tail
                let (reply, answer) = try send(ScanCodeBill.valid(billnum), accept: accept)
                let record = try assertIssued(answer, billnum: billnum)
                let codeurl = record.codeurl ?? ""
                let expected = accept == "application/json"
                    ? ScanCodeLegacyAnswer.jsonSuccess(
                        autoid: record.autoid, billnum: ScanCodeLegacyAnswer.jsonEscaped(billnum), codeurl: codeurl)
                    : ScanCodeLegacyAnswer.xmlSuccess(
                        autoid: record.autoid, billnum: ScanCodeLegacyAnswer.xmlEscaped(billnum), codeurl: codeurl)
                XCTAssertEqual(reply.text, expected, "\(String(reflecting: tail)) as \(accept)")
            }
        }
    }

    func testClientIPDefaultsWhenAbsentAndIsStoredWhenGiven() throws {
        let cases: [(String, ScanCodeBill.Value?, String)] = [
            ("absent", nil, "202.96.128.68"),
            ("empty", .text(""), "202.96.128.68"),
            ("null", .token("null"), "202.96.128.68"),
            ("IPv4", .text("192.168.10.21"), "192.168.10.21"),
            ("IPv6", .text("2001:db8::8a2e:370:7334"), "2001:db8::8a2e:370:7334"),
        ]
        for (name, value, stored) in cases {
            let billnum = ScanCodeBillNumbers.next("ip")
            let (_, answer) = try send(ScanCodeBill.valid(billnum).setting("clientip", value))
            let record = try assertIssued(answer, billnum: billnum)
            XCTAssertEqual(record.clientip, stored, name)
        }
        // The same through XML and a form, without the member.
        for format in [ScanCodeTestCase.Format.xml, .form] {
            let billnum = ScanCodeBillNumbers.next("ip")
            let (_, answer) = try send(ScanCodeBill.valid(billnum).setting("clientip", nil), as: format)
            XCTAssertEqual(try assertIssued(answer, billnum: billnum).clientip, "202.96.128.68", "\(format)")
        }
    }
}

/// Envelopes collected from several threads.
final class ScanCodeConcurrentAnswers: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var collected: [ScanCodeEnvelope] = []
    private var failures: [String] = []

    func add(_ envelope: ScanCodeEnvelope) {
        lock.lock()
        collected.append(envelope)
        lock.unlock()
    }

    func add(error: String) {
        lock.lock()
        failures.append(error)
        lock.unlock()
    }

    var envelopes: [ScanCodeEnvelope] {
        lock.lock()
        defer { lock.unlock() }
        return collected
    }

    var errors: [String] {
        lock.lock()
        defer { lock.unlock() }
        return failures
    }
}
