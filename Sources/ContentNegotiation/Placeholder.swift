// ContentNegotiation: implementation in progress.
