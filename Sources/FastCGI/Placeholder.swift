// FastCGI: implementation in progress.
