-- ThreePay schema: Alipay scan-code (offline) payment records.
--
-- Re-runnable: every statement is CREATE ... IF NOT EXISTS / CREATE OR REPLACE. Later changes are appended
-- as ALTER TABLE ... ADD COLUMN IF NOT EXISTS / ADD INDEX IF NOT EXISTS so that `scripts/mariadb.sh apply-sql`
-- upgrades any older database in place. Never edit a CREATE TABLE below for an existing column: add an ALTER.
--
-- All DATETIME columns hold UTC (the procedures write UTC_TIMESTAMP()), whatever the server's time zone.
-- Text columns use utf8mb4_bin: identifiers (billnum, out_trade_no) compare byte-exact, case-sensitive;
-- as a PAD SPACE collation it ignores trailing spaces in comparisons ('B1' = 'B1 ').

SET NAMES utf8mb4 COLLATE utf8mb4_bin;
SET SESSION sql_mode = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ZERO_DATE,NO_ZERO_IN_DATE,NO_ENGINE_SUBSTITUTION';

-- One row per payment attempt (one Alipay out_trade_no). See sql/README.md for the status life cycle.
CREATE TABLE IF NOT EXISTS T_3Pay_Offline_ReceiveMoney (
    autoid           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    billnum          VARCHAR(20)     NOT NULL,
    billtype         CHAR(1)         NOT NULL,
    body             VARCHAR(512)    NOT NULL,
    paytype          VARCHAR(2)      NOT NULL,
    paymentvalue     DECIMAL(12,2)   NOT NULL,
    detail           VARCHAR(2000)   NULL,
    clientip         VARCHAR(45)     NOT NULL,
    cardno           VARCHAR(20)     NULL,
    -- Set by Sp_3Pay_Offline_ReceiveMoney_Begin in the same transaction as the INSERT (derived from autoid).
    out_trade_no     VARCHAR(64)     NULL,
    codeurl          VARCHAR(1024)   NULL,
    status           VARCHAR(16)     NOT NULL DEFAULT 'INITIATED',
    qr_expires_at    DATETIME        NULL,
    gateway_code     VARCHAR(32)     NULL,
    gateway_sub_code VARCHAR(64)     NULL,
    gateway_msg      VARCHAR(512)    NULL,
    trade_no         VARCHAR(64)     NULL,
    paid_amount      DECIMAL(12,2)   NULL,
    paid_at          DATETIME        NULL,
    buyer_id         VARCHAR(64)     NULL,
    paid_source      VARCHAR(16)     NULL,
    created_at       DATETIME(3)     NOT NULL DEFAULT UTC_TIMESTAMP(3),
    updated_at       DATETIME(3)     NOT NULL DEFAULT UTC_TIMESTAMP(3),
    PRIMARY KEY (autoid),
    UNIQUE KEY UX_3Pay_Offline_ReceiveMoney_OutTradeNo (out_trade_no),
    KEY IX_3Pay_Offline_ReceiveMoney_Bill (billtype, billnum),
    CONSTRAINT CK_3Pay_Offline_ReceiveMoney_Status
        CHECK (status IN ('INITIATED', 'QR_ISSUED', 'QR_FAILED', 'UNKNOWN', 'PAID', 'CLOSED')),
    CONSTRAINT CK_3Pay_Offline_ReceiveMoney_PaidSource
        CHECK (paid_source IS NULL OR paid_source IN ('notify', 'query', 'sweep')),
    CONSTRAINT CK_3Pay_Offline_ReceiveMoney_Amount
        CHECK (paymentvalue > 0 AND paymentvalue <= 100000000),
    CONSTRAINT CK_3Pay_Offline_ReceiveMoney_PaidHasTrade
        CHECK (status <> 'PAID' OR (trade_no IS NOT NULL AND paid_amount IS NOT NULL AND paid_at IS NOT NULL))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- One row per bill: the lock point that serialises concurrent Begin calls for the same (billtype, billnum),
-- and the pointer to the bill's current payment record.
CREATE TABLE IF NOT EXISTS T_3Pay_Offline_Bill (
    billtype       CHAR(1)         NOT NULL,
    billnum        VARCHAR(20)     NOT NULL,
    current_autoid BIGINT UNSIGNED NULL,
    created_at     DATETIME(3)     NOT NULL DEFAULT UTC_TIMESTAMP(3),
    updated_at     DATETIME(3)     NOT NULL DEFAULT UTC_TIMESTAMP(3),
    PRIMARY KEY (billtype, billnum),
    CONSTRAINT FK_3Pay_Offline_Bill_Current
        FOREIGN KEY (current_autoid) REFERENCES T_3Pay_Offline_ReceiveMoney (autoid)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Upgrades go below this line, each re-runnable, e.g.
-- ALTER TABLE T_3Pay_Offline_ReceiveMoney ADD COLUMN IF NOT EXISTS store_id VARCHAR(32) NULL AFTER cardno;

-- The lease on a bill's current record: the request that is issuing or voiding the bill's QR code holds it (its
-- own token) until it records the outcome or its deadline passes; Begin answers 'busy' to every other request
-- meanwhile, so requests for one bill take turns instead of voiding each other's codes. It lives on the record so
-- that recording the outcome is one UPDATE of one row. Not part of the record's answer.
ALTER TABLE T_3Pay_Offline_ReceiveMoney
    ADD COLUMN IF NOT EXISTS lease_token VARCHAR(64) NULL AFTER paid_source,
    ADD COLUMN IF NOT EXISTS lease_until DATETIME(3) NULL AFTER lease_token;

-- Refunds (sql/050_refunds.sql): the total refunded on a paid record, kept by the refund procedures in the
-- transaction that records each refund. A fully refunded payment stays PAID with refunded_amount = paid_amount.
ALTER TABLE T_3Pay_Offline_ReceiveMoney
    ADD COLUMN IF NOT EXISTS refunded_amount DECIMAL(12,2) NOT NULL DEFAULT 0 AFTER paid_source;
ALTER TABLE T_3Pay_Offline_ReceiveMoney
    ADD CONSTRAINT IF NOT EXISTS CK_3Pay_Offline_ReceiveMoney_Refunded
        CHECK (refunded_amount >= 0 AND refunded_amount <= COALESCE(paid_amount, 0));

-- The record column list every procedure returns, defined once.
CREATE OR REPLACE VIEW V_3Pay_Offline_ReceiveMoney AS
SELECT autoid, billnum, billtype, body, paytype, paymentvalue, detail, clientip, cardno, out_trade_no, codeurl,
       status, qr_expires_at, gateway_code, gateway_sub_code, gateway_msg, trade_no, paid_amount, paid_at,
       buyer_id, paid_source, created_at, updated_at, refunded_amount
FROM T_3Pay_Offline_ReceiveMoney;
