-- ThreePay receipts: one receipt table per business system (billtype), stored-value cards, and the callback
-- outbox, plus Sp_3Pay_Receipt_Dispatch, which Sp_3Pay_Offline_ReceiveMoney_Paid calls when it records a payment.
--
-- Re-runnable like 001_schema.sql: CREATE TABLE IF NOT EXISTS and CREATE OR REPLACE only. Local changes to the
-- receipt tables (extra columns, triggers) belong in a file sorted after this one, e.g. sql/900_local.sql;
-- sql/README.md ("Receipt tables") says how to add a column safely.
--
-- The outbox table lives here, not in 030_callbacks.sql, because Dispatch writes it: once this file is applied,
-- everything a payment needs exists.

SET NAMES utf8mb4 COLLATE utf8mb4_bin;
SET SESSION sql_mode = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ZERO_DATE,NO_ZERO_IN_DATE,NO_ENGINE_SUBSTITUTION';

-- Receipt tables. All seven share the columns Dispatch writes; billtype 7 adds cardno. One receipt per
-- payment record (UNIQUE autoid). paid_at is the record's UTC payment time.

-- billtype 1: scenic-area ticketing.
CREATE TABLE IF NOT EXISTS T_3Pay_Receipt_Scenic (
    receipt_id   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    autoid       BIGINT UNSIGNED NOT NULL,
    billnum      VARCHAR(20)     NOT NULL,
    out_trade_no VARCHAR(64)     NOT NULL,
    trade_no     VARCHAR(64)     NOT NULL,
    amount       DECIMAL(12,2)   NOT NULL,
    paytype      VARCHAR(2)      NOT NULL,
    paid_at      DATETIME        NOT NULL,
    created_at   DATETIME(3)     NOT NULL DEFAULT UTC_TIMESTAMP(3),
    PRIMARY KEY (receipt_id),
    UNIQUE KEY UX_3Pay_Receipt_Scenic_Autoid (autoid),
    KEY IX_3Pay_Receipt_Scenic_Billnum (billnum),
    CONSTRAINT FK_3Pay_Receipt_Scenic_Record FOREIGN KEY (autoid) REFERENCES T_3Pay_Offline_ReceiveMoney (autoid),
    CONSTRAINT CK_3Pay_Receipt_Scenic_Amount CHECK (amount > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- billtype 2: POS.
CREATE TABLE IF NOT EXISTS T_3Pay_Receipt_Pos (
    receipt_id   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    autoid       BIGINT UNSIGNED NOT NULL,
    billnum      VARCHAR(20)     NOT NULL,
    out_trade_no VARCHAR(64)     NOT NULL,
    trade_no     VARCHAR(64)     NOT NULL,
    amount       DECIMAL(12,2)   NOT NULL,
    paytype      VARCHAR(2)      NOT NULL,
    paid_at      DATETIME        NOT NULL,
    created_at   DATETIME(3)     NOT NULL DEFAULT UTC_TIMESTAMP(3),
    PRIMARY KEY (receipt_id),
    UNIQUE KEY UX_3Pay_Receipt_Pos_Autoid (autoid),
    KEY IX_3Pay_Receipt_Pos_Billnum (billnum),
    CONSTRAINT FK_3Pay_Receipt_Pos_Record FOREIGN KEY (autoid) REFERENCES T_3Pay_Offline_ReceiveMoney (autoid),
    CONSTRAINT CK_3Pay_Receipt_Pos_Amount CHECK (amount > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- billtype 3: car rental.
CREATE TABLE IF NOT EXISTS T_3Pay_Receipt_CarRental (
    receipt_id   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    autoid       BIGINT UNSIGNED NOT NULL,
    billnum      VARCHAR(20)     NOT NULL,
    out_trade_no VARCHAR(64)     NOT NULL,
    trade_no     VARCHAR(64)     NOT NULL,
    amount       DECIMAL(12,2)   NOT NULL,
    paytype      VARCHAR(2)      NOT NULL,
    paid_at      DATETIME        NOT NULL,
    created_at   DATETIME(3)     NOT NULL DEFAULT UTC_TIMESTAMP(3),
    PRIMARY KEY (receipt_id),
    UNIQUE KEY UX_3Pay_Receipt_CarRental_Autoid (autoid),
    KEY IX_3Pay_Receipt_CarRental_Billnum (billnum),
    CONSTRAINT FK_3Pay_Receipt_CarRental_Record FOREIGN KEY (autoid) REFERENCES T_3Pay_Offline_ReceiveMoney (autoid),
    CONSTRAINT CK_3Pay_Receipt_CarRental_Amount CHECK (amount > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- billtype 4: eco-car.
CREATE TABLE IF NOT EXISTS T_3Pay_Receipt_EcoCar (
    receipt_id   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    autoid       BIGINT UNSIGNED NOT NULL,
    billnum      VARCHAR(20)     NOT NULL,
    out_trade_no VARCHAR(64)     NOT NULL,
    trade_no     VARCHAR(64)     NOT NULL,
    amount       DECIMAL(12,2)   NOT NULL,
    paytype      VARCHAR(2)      NOT NULL,
    paid_at      DATETIME        NOT NULL,
    created_at   DATETIME(3)     NOT NULL DEFAULT UTC_TIMESTAMP(3),
    PRIMARY KEY (receipt_id),
    UNIQUE KEY UX_3Pay_Receipt_EcoCar_Autoid (autoid),
    KEY IX_3Pay_Receipt_EcoCar_Billnum (billnum),
    CONSTRAINT FK_3Pay_Receipt_EcoCar_Record FOREIGN KEY (autoid) REFERENCES T_3Pay_Offline_ReceiveMoney (autoid),
    CONSTRAINT CK_3Pay_Receipt_EcoCar_Amount CHECK (amount > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- billtype 5: equipment rental.
CREATE TABLE IF NOT EXISTS T_3Pay_Receipt_EquipmentRental (
    receipt_id   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    autoid       BIGINT UNSIGNED NOT NULL,
    billnum      VARCHAR(20)     NOT NULL,
    out_trade_no VARCHAR(64)     NOT NULL,
    trade_no     VARCHAR(64)     NOT NULL,
    amount       DECIMAL(12,2)   NOT NULL,
    paytype      VARCHAR(2)      NOT NULL,
    paid_at      DATETIME        NOT NULL,
    created_at   DATETIME(3)     NOT NULL DEFAULT UTC_TIMESTAMP(3),
    PRIMARY KEY (receipt_id),
    UNIQUE KEY UX_3Pay_Receipt_EquipmentRental_Autoid (autoid),
    KEY IX_3Pay_Receipt_EquipmentRental_Billnum (billnum),
    CONSTRAINT FK_3Pay_Receipt_EquipmentRental_Record
        FOREIGN KEY (autoid) REFERENCES T_3Pay_Offline_ReceiveMoney (autoid),
    CONSTRAINT CK_3Pay_Receipt_EquipmentRental_Amount CHECK (amount > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- billtype 6: joint retail.
CREATE TABLE IF NOT EXISTS T_3Pay_Receipt_JointRetail (
    receipt_id   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    autoid       BIGINT UNSIGNED NOT NULL,
    billnum      VARCHAR(20)     NOT NULL,
    out_trade_no VARCHAR(64)     NOT NULL,
    trade_no     VARCHAR(64)     NOT NULL,
    amount       DECIMAL(12,2)   NOT NULL,
    paytype      VARCHAR(2)      NOT NULL,
    paid_at      DATETIME        NOT NULL,
    created_at   DATETIME(3)     NOT NULL DEFAULT UTC_TIMESTAMP(3),
    PRIMARY KEY (receipt_id),
    UNIQUE KEY UX_3Pay_Receipt_JointRetail_Autoid (autoid),
    KEY IX_3Pay_Receipt_JointRetail_Billnum (billnum),
    CONSTRAINT FK_3Pay_Receipt_JointRetail_Record
        FOREIGN KEY (autoid) REFERENCES T_3Pay_Offline_ReceiveMoney (autoid),
    CONSTRAINT CK_3Pay_Receipt_JointRetail_Amount CHECK (amount > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- billtype 7: stored-value card recharge (the card credited is cardno).
CREATE TABLE IF NOT EXISTS T_3Pay_Receipt_StoredValueCard (
    receipt_id   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    autoid       BIGINT UNSIGNED NOT NULL,
    billnum      VARCHAR(20)     NOT NULL,
    out_trade_no VARCHAR(64)     NOT NULL,
    trade_no     VARCHAR(64)     NOT NULL,
    amount       DECIMAL(12,2)   NOT NULL,
    paytype      VARCHAR(2)      NOT NULL,
    paid_at      DATETIME        NOT NULL,
    cardno       VARCHAR(20)     NOT NULL,
    created_at   DATETIME(3)     NOT NULL DEFAULT UTC_TIMESTAMP(3),
    PRIMARY KEY (receipt_id),
    UNIQUE KEY UX_3Pay_Receipt_StoredValueCard_Autoid (autoid),
    KEY IX_3Pay_Receipt_StoredValueCard_Billnum (billnum),
    KEY IX_3Pay_Receipt_StoredValueCard_Card (cardno),
    CONSTRAINT FK_3Pay_Receipt_StoredValueCard_Record
        FOREIGN KEY (autoid) REFERENCES T_3Pay_Offline_ReceiveMoney (autoid),
    CONSTRAINT CK_3Pay_Receipt_StoredValueCard_Amount CHECK (amount > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- One row per stored-value card; created by its first credit.
CREATE TABLE IF NOT EXISTS T_3Pay_StoredValueCard (
    cardno     VARCHAR(20)   NOT NULL,
    balance    DECIMAL(14,2) NOT NULL DEFAULT 0,
    created_at DATETIME(3)   NOT NULL DEFAULT UTC_TIMESTAMP(3),
    updated_at DATETIME(3)   NOT NULL DEFAULT UTC_TIMESTAMP(3),
    PRIMARY KEY (cardno)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The credit journal: UNIQUE autoid, so one payment credits a card at most once.
CREATE TABLE IF NOT EXISTS T_3Pay_StoredValueCard_Credit (
    credit_id     BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    autoid        BIGINT UNSIGNED NOT NULL,
    cardno        VARCHAR(20)     NOT NULL,
    amount        DECIMAL(12,2)   NOT NULL,
    balance_after DECIMAL(14,2)   NOT NULL,
    created_at    DATETIME(3)     NOT NULL DEFAULT UTC_TIMESTAMP(3),
    PRIMARY KEY (credit_id),
    UNIQUE KEY UX_3Pay_StoredValueCard_Credit_Autoid (autoid),
    KEY IX_3Pay_StoredValueCard_Credit_Card (cardno, credit_id),
    CONSTRAINT FK_3Pay_StoredValueCard_Credit_Card FOREIGN KEY (cardno) REFERENCES T_3Pay_StoredValueCard (cardno),
    CONSTRAINT FK_3Pay_StoredValueCard_Credit_Record
        FOREIGN KEY (autoid) REFERENCES T_3Pay_Offline_ReceiveMoney (autoid),
    CONSTRAINT CK_3Pay_StoredValueCard_Credit_Amount CHECK (amount > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- One callback per payment record (UNIQUE autoid), delivered by the service; procedures in 030_callbacks.sql.
-- PENDING: waiting for (another) attempt at next_attempt_at; lease_until is set while a worker holds it.
-- DELIVERED: the receiver acknowledged. SKIPPED: no callback URL for the billtype. GAVE_UP: the service stopped.
CREATE TABLE IF NOT EXISTS T_3Pay_Callback_Outbox (
    id               BIGINT UNSIGNED   NOT NULL AUTO_INCREMENT,
    autoid           BIGINT UNSIGNED   NOT NULL,
    billtype         CHAR(1)           NOT NULL,
    status           VARCHAR(16)       NOT NULL DEFAULT 'PENDING',
    attempts         INT UNSIGNED      NOT NULL DEFAULT 0,
    next_attempt_at  DATETIME(3)       NOT NULL DEFAULT UTC_TIMESTAMP(3),
    lease_until      DATETIME(3)       NULL,
    last_http_status SMALLINT UNSIGNED NULL,
    last_error       VARCHAR(512)      NULL,
    created_at       DATETIME(3)       NOT NULL DEFAULT UTC_TIMESTAMP(3),
    updated_at       DATETIME(3)       NOT NULL DEFAULT UTC_TIMESTAMP(3),
    delivered_at     DATETIME(3)       NULL,
    PRIMARY KEY (id),
    UNIQUE KEY UX_3Pay_Callback_Outbox_Autoid (autoid),
    -- Claim scans PENDING rows in due order on this index.
    KEY IX_3Pay_Callback_Outbox_Due (status, next_attempt_at),
    CONSTRAINT FK_3Pay_Callback_Outbox_Record FOREIGN KEY (autoid) REFERENCES T_3Pay_Offline_ReceiveMoney (autoid),
    CONSTRAINT CK_3Pay_Callback_Outbox_Status CHECK (status IN ('PENDING', 'DELIVERED', 'SKIPPED', 'GAVE_UP')),
    CONSTRAINT CK_3Pay_Callback_Outbox_Delivered CHECK (status <> 'DELIVERED' OR delivered_at IS NOT NULL)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Upgrades of the tables above go below this line, each re-runnable (ALTER TABLE … ADD COLUMN IF NOT EXISTS).

-- Refund callbacks (sql/050_refunds.sql): one callback per event of a payment record, the payment itself
-- (refund_id 0) and each refund (its refund_id), instead of one per record.
ALTER TABLE T_3Pay_Callback_Outbox
    ADD COLUMN IF NOT EXISTS refund_id BIGINT UNSIGNED NOT NULL DEFAULT 0 AFTER autoid;
ALTER TABLE T_3Pay_Callback_Outbox
    ADD UNIQUE KEY IF NOT EXISTS UX_3Pay_Callback_Outbox_Event (autoid, refund_id);
ALTER TABLE T_3Pay_Callback_Outbox
    DROP INDEX IF EXISTS UX_3Pay_Callback_Outbox_Autoid;

DELIMITER $$

-- Writes the receipt of a newly recorded payment: the row in its billtype's receipt table, for billtype 7 the
-- card credit (journal + balance), and the PENDING callback. Returns nothing.
--
-- Internal: Sp_3Pay_Offline_ReceiveMoney_Paid calls it inside its transaction, holding the record's row lock, on
-- the `changed = 1` path only. It never starts, commits or rolls back; an error reaches Paid, which rolls the
-- whole payment back (no payment without its receipt). Idempotent: each of the four writes happens only if its
-- row for p_autoid is missing, and the UNIQUE autoid keys refuse a second one in any case.
-- Raises 50002 outside a transaction, 50004 for an unknown record, 50003 when the record is not PAID,
-- 50006 when the record cannot be routed (billtype outside 1-7, or billtype 7 without cardno).
CREATE OR REPLACE PROCEDURE Sp_3Pay_Receipt_Dispatch(IN p_autoid BIGINT UNSIGNED)
MODIFIES SQL DATA
BEGIN
    DECLARE v_now          DATETIME(3) DEFAULT UTC_TIMESTAMP(3);
    DECLARE v_status       VARCHAR(16);
    DECLARE v_billtype     CHAR(1);
    DECLARE v_billnum      VARCHAR(20);
    DECLARE v_out_trade_no VARCHAR(64);
    DECLARE v_trade_no     VARCHAR(64);
    DECLARE v_amount       DECIMAL(12,2);
    DECLARE v_paytype      VARCHAR(2);
    DECLARE v_paid_at      DATETIME;
    DECLARE v_cardno       VARCHAR(20);
    DECLARE v_balance      DECIMAL(14,2);
    DECLARE v_msg          VARCHAR(128);

    -- Outside a transaction every statement below would commit on its own: a failure could leave a receipt
    -- without its card credit.
    IF @@in_transaction = 0 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002,
            MESSAGE_TEXT = 'Sp_3Pay_Receipt_Dispatch must be called inside a transaction';
    END IF;

    -- Paid already holds this lock; taking it here serialises any other caller on the same payment.
    SELECT status, billtype, billnum, out_trade_no, trade_no, paid_amount, paytype, paid_at,
           NULLIF(TRIM(cardno), '')
      INTO v_status, v_billtype, v_billnum, v_out_trade_no, v_trade_no, v_amount, v_paytype, v_paid_at, v_cardno
      FROM T_3Pay_Offline_ReceiveMoney
     WHERE autoid = p_autoid
       FOR UPDATE;

    IF v_status IS NULL THEN
        SET v_msg = CONCAT('Payment record ', p_autoid, ' does not exist');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50004, MESSAGE_TEXT = v_msg;
    END IF;
    IF v_status <> 'PAID' THEN
        SET v_msg = CONCAT('Payment record ', p_autoid, ' is ', v_status, ': no receipt before payment');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50003, MESSAGE_TEXT = v_msg;
    END IF;
    IF v_billtype = '7' AND v_cardno IS NULL THEN
        SET v_msg = CONCAT('Payment record ', p_autoid, ' (billtype 7) has no cardno to credit');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50006, MESSAGE_TEXT = v_msg;
    END IF;

    -- The existence checks are plain reads; under the record lock no other transaction can be writing rows
    -- for this payment, and the UNIQUE keys turn any surprise into an error instead of a duplicate.
    CASE v_billtype
        WHEN '1' THEN
            IF NOT EXISTS (SELECT 1 FROM T_3Pay_Receipt_Scenic WHERE autoid = p_autoid) THEN
                INSERT INTO T_3Pay_Receipt_Scenic
                    (autoid, billnum, out_trade_no, trade_no, amount, paytype, paid_at, created_at)
                VALUES (p_autoid, v_billnum, v_out_trade_no, v_trade_no, v_amount, v_paytype, v_paid_at, v_now);
            END IF;
        WHEN '2' THEN
            IF NOT EXISTS (SELECT 1 FROM T_3Pay_Receipt_Pos WHERE autoid = p_autoid) THEN
                INSERT INTO T_3Pay_Receipt_Pos
                    (autoid, billnum, out_trade_no, trade_no, amount, paytype, paid_at, created_at)
                VALUES (p_autoid, v_billnum, v_out_trade_no, v_trade_no, v_amount, v_paytype, v_paid_at, v_now);
            END IF;
        WHEN '3' THEN
            IF NOT EXISTS (SELECT 1 FROM T_3Pay_Receipt_CarRental WHERE autoid = p_autoid) THEN
                INSERT INTO T_3Pay_Receipt_CarRental
                    (autoid, billnum, out_trade_no, trade_no, amount, paytype, paid_at, created_at)
                VALUES (p_autoid, v_billnum, v_out_trade_no, v_trade_no, v_amount, v_paytype, v_paid_at, v_now);
            END IF;
        WHEN '4' THEN
            IF NOT EXISTS (SELECT 1 FROM T_3Pay_Receipt_EcoCar WHERE autoid = p_autoid) THEN
                INSERT INTO T_3Pay_Receipt_EcoCar
                    (autoid, billnum, out_trade_no, trade_no, amount, paytype, paid_at, created_at)
                VALUES (p_autoid, v_billnum, v_out_trade_no, v_trade_no, v_amount, v_paytype, v_paid_at, v_now);
            END IF;
        WHEN '5' THEN
            IF NOT EXISTS (SELECT 1 FROM T_3Pay_Receipt_EquipmentRental WHERE autoid = p_autoid) THEN
                INSERT INTO T_3Pay_Receipt_EquipmentRental
                    (autoid, billnum, out_trade_no, trade_no, amount, paytype, paid_at, created_at)
                VALUES (p_autoid, v_billnum, v_out_trade_no, v_trade_no, v_amount, v_paytype, v_paid_at, v_now);
            END IF;
        WHEN '6' THEN
            IF NOT EXISTS (SELECT 1 FROM T_3Pay_Receipt_JointRetail WHERE autoid = p_autoid) THEN
                INSERT INTO T_3Pay_Receipt_JointRetail
                    (autoid, billnum, out_trade_no, trade_no, amount, paytype, paid_at, created_at)
                VALUES (p_autoid, v_billnum, v_out_trade_no, v_trade_no, v_amount, v_paytype, v_paid_at, v_now);
            END IF;
        WHEN '7' THEN
            IF NOT EXISTS (SELECT 1 FROM T_3Pay_Receipt_StoredValueCard WHERE autoid = p_autoid) THEN
                INSERT INTO T_3Pay_Receipt_StoredValueCard
                    (autoid, billnum, out_trade_no, trade_no, amount, paytype, paid_at, cardno, created_at)
                VALUES (p_autoid, v_billnum, v_out_trade_no, v_trade_no, v_amount, v_paytype, v_paid_at, v_cardno,
                        v_now);
            END IF;
            IF NOT EXISTS (SELECT 1 FROM T_3Pay_StoredValueCard_Credit WHERE autoid = p_autoid) THEN
                -- The card row is locked by this upsert until the payment commits, so concurrent credits to one
                -- card add up one after the other.
                INSERT INTO T_3Pay_StoredValueCard (cardno, balance, created_at, updated_at)
                    VALUES (v_cardno, v_amount, v_now, v_now)
                    ON DUPLICATE KEY UPDATE balance = balance + VALUE(balance), updated_at = VALUE(updated_at);
                SELECT balance INTO v_balance FROM T_3Pay_StoredValueCard WHERE cardno = v_cardno FOR UPDATE;
                INSERT INTO T_3Pay_StoredValueCard_Credit (autoid, cardno, amount, balance_after, created_at)
                    VALUES (p_autoid, v_cardno, v_amount, v_balance, v_now);
            END IF;
        ELSE
            SET v_msg = CONCAT('Payment record ', p_autoid, ' has billtype ', COALESCE(v_billtype, 'NULL'),
                               ', which has no receipt table');
            SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50006, MESSAGE_TEXT = v_msg;
    END CASE;

    IF NOT EXISTS (SELECT 1 FROM T_3Pay_Callback_Outbox WHERE autoid = p_autoid AND refund_id = 0) THEN
        INSERT INTO T_3Pay_Callback_Outbox
            (autoid, refund_id, billtype, status, attempts, next_attempt_at, created_at, updated_at)
        VALUES (p_autoid, 0, v_billtype, 'PENDING', 0, v_now, v_now, v_now);
    END IF;
END$$

DELIMITER ;
