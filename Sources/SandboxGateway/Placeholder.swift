// SandboxGateway: implementation in progress.
