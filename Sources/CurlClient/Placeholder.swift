// CurlClient: implementation in progress.
