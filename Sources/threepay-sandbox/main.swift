import Foundation
import SandboxGateway

// The Alipay OpenAPI stand-in: all behaviour lives in the SandboxGateway module.
exit(SandboxServer.main(environment: ProcessInfo.processInfo.environment))
