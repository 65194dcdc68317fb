// PaymentStore: implementation in progress.
