import FastCGI
import Foundation
import MariaDB
import PaymentFlow
import PaymentModel

/// The `threepay` command: serve (default), `--check-config`, `--help`.
public enum ThreePayMain {
    static let usage = """
        usage: threepay [--config FILE] [--check-config]
               threepay sweep [--config FILE]

        Serves ThreePay's API as a FastCGI responder behind nginx.
          sweep            one pass over stale records (expired QR codes, unknown outcomes), then exit;
                           for cron when THREEPAY_SWEEP_INTERVAL=0
          --config FILE    read KEY=VALUE settings from FILE (the environment still wins);
                           THREEPAY_CONFIG names the same file
          --check-config   check the settings, the keys and the database, then exit
                           (0 when everything is usable, 2 otherwise)
        Settings are THREEPAY_* environment variables; see README.md, "Configuration".
        """

    public static func main(arguments: [String]) -> Never {
        var configFile = ProcessInfo.processInfo.environment["THREEPAY_CONFIG"]
        var checkOnly = false
        var sweepOnly = false
        var index = 0
        while index < arguments.count {
            switch arguments[index] {
            case "--check-config": checkOnly = true
            case "sweep" where index == 0: sweepOnly = true
            case "--config":
                index += 1
                guard index < arguments.count else { fail("--config needs a file name") }
                configFile = arguments[index]
            case "--help", "-h":
                print(usage)
                exit(0)
            default:
                fail("unknown argument '\(arguments[index])'\n\(usage)")
            }
            index += 1
        }
        var fileText: String?
        if let configFile {
            do { fileText = try String(contentsOfFile: configFile, encoding: .utf8) } catch {
                fail("cannot read the settings file \(configFile): \(error.localizedDescription)")
            }
        }
        let configuration: Configuration
        switch Configuration.load(environment: ProcessInfo.processInfo.environment, file: fileText) {
        case .success(let loaded): configuration = loaded
        case .failure(let error): fail(error.description)
        }
        let services: Services
        do { services = try Services(configuration: configuration) } catch { fail("\(error)") }
        if checkOnly {
            let report = services.check()
            for line in report.lines { print(line) }
            exit(report.ok ? 0 : 2)
        }
        if sweepOnly { sweep(services: services) }
        serve(configuration: configuration, services: services)
    }

    static func sweep(services: Services) -> Never {
        threadInit()
        do {
            let flow = try services.makeBackgroundParts(index: 0).flow
            var total = SweepReport()
            while true {
                let report = try flow.sweep(limit: 200, deadline: services.newDeadline())
                total.add(report)
                if report.examined < 200 || report.unresolved == report.examined { break }
            }
            print(total.description)
            exit(0)
        } catch {
            fail("sweep failed: \(error)")
        }
    }

    static func serve(configuration: Configuration, services: Services) -> Never {
        let server: FastCGIServer
        do {
            server = try FastCGIServer(
                listen: configuration.listen, workers: configuration.workers, maxBody: configuration.maxBody,
                logger: RequestLog(), socketMode: configuration.socketMode)
        } catch { fail("\(error)") }
        if let missing = services.missingProcedures(), !missing.isEmpty {
            fail("the database lacks these stored procedures: \(missing.joined(separator: ", ")) (apply sql/ — see sql/README.md)")
        }
        let background = BackgroundDuties.start(services: services)
        let doormanHealth = DoormanHealth(services: services)
        RequestLog.note(
            "threepay listening on \(configuration.listen) with \(configuration.workers) workers, gateway \(SettingReader.displayURL(configuration.alipay.gateway))")
        do {
            try server.run(
                makeHandler: { worker in try Worker(index: worker, services: services).handle },
                overflow: { request in
                    doormanHealth.answer(request) ?? Answer(for: request).failure(ServiceError(
                        .serviceRestarting,
                        message: "Every worker of the service is busy; send the same request again in a moment."))
                },
                overflowAfterMilliseconds: configuration.busyWaitMilliseconds)
        } catch {
            RequestLog.note("threepay stopped: \(error)")
            background.stop(waitingAtMost: 30)
            exit(1)
        }
        background.stop(waitingAtMost: 30)
        RequestLog.note("threepay drained and stopped")
        exit(0)
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("threepay: \(message)\n".utf8))
        exit(2)
    }
}
