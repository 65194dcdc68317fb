// Alipay: implementation in progress.
