-- ThreePay refunds: one row per refund of a paid record (the merchant's refundno, one Alipay out_request_no, one
-- amount, for ever), the refund receipts beside each receipt table, the stored-value card debits, and the
-- procedures that take a refund from request to outcome. Re-runnable (CREATE … IF NOT EXISTS, CREATE OR REPLACE).
-- Life cycle and rules: sql/README.md ("Refunds").
--
-- Conventions as in 010_procedures.sql. Refund rule violations raise SQLSTATE '45000' with these MYSQL_ERRNO:
--   50004 no such payment record · 50007 the bill is not paid · 50008 the refundno is taken (used with another
--   amount, or the number of a refund Alipay reported)
--   50009 the amount exceeds what is left to refund · 50010 the stored-value card's balance is lower than the refund
--   50002 invalid argument · 50003 not allowed in the refund's current status
-- Lock order (as everywhere): the bill row, then the payment record, then its refunds, then the card row.

SET NAMES utf8mb4 COLLATE utf8mb4_bin;
SET SESSION sql_mode = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ZERO_DATE,NO_ZERO_IN_DATE,NO_ENGINE_SUBSTITUTION';

-- One row per refund. status: REQUESTED (a request is calling Alipay for it until lease_until), REFUNDED,
-- FAILED (Alipay refused it, signed: final for this refundno), PENDING (the outcome is unknown: resolved by a
-- refund query, from the same refundno sent again or from the sweep). source: request (the Refund endpoint),
-- notify (a refund Alipay notified that was not asked through ThreePay), cancel (Alipay's cancel refunded a
-- payment that arrived while its QR code was being voided).
CREATE TABLE IF NOT EXISTS T_3Pay_Offline_Refund (
    refund_id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    autoid               BIGINT UNSIGNED NOT NULL,
    billtype             CHAR(1)         NOT NULL,
    billnum              VARCHAR(20)     NOT NULL,
    refundno             VARCHAR(32)     NOT NULL,
    -- Alipay's out_request_no: 'RF' + refund_id for requests (set in the same transaction as the insert), the
    -- number Alipay reported for the others.
    out_request_no       VARCHAR(64)     NULL,
    amount               DECIMAL(12,2)   NOT NULL,
    reason               VARCHAR(256)    NULL,
    status               VARCHAR(16)     NOT NULL,
    lease_until          DATETIME(3)     NULL,
    gateway_code         VARCHAR(32)     NULL,
    gateway_sub_code     VARCHAR(64)     NULL,
    gateway_msg          VARCHAR(512)    NULL,
    source               VARCHAR(16)     NOT NULL,
    refunded_at          DATETIME(3)     NULL,
    -- The payment's refunded total once this refund was recorded (what its callback reports).
    refunded_total_after DECIMAL(12,2)   NULL,
    created_at           DATETIME(3)     NOT NULL DEFAULT UTC_TIMESTAMP(3),
    updated_at           DATETIME(3)     NOT NULL DEFAULT UTC_TIMESTAMP(3),
    PRIMARY KEY (refund_id),
    UNIQUE KEY UX_3Pay_Offline_Refund_Refundno (billtype, billnum, refundno),
    UNIQUE KEY UX_3Pay_Offline_Refund_OutRequestNo (autoid, out_request_no),
    KEY IX_3Pay_Offline_Refund_Status (status, updated_at),
    CONSTRAINT FK_3Pay_Offline_Refund_Record FOREIGN KEY (autoid) REFERENCES T_3Pay_Offline_ReceiveMoney (autoid),
    CONSTRAINT CK_3Pay_Offline_Refund_Status CHECK (status IN ('REQUESTED', 'REFUNDED', 'FAILED', 'PENDING')),
    CONSTRAINT CK_3Pay_Offline_Refund_Source CHECK (source IN ('request', 'notify', 'cancel')),
    CONSTRAINT CK_3Pay_Offline_Refund_Amount CHECK (amount > 0),
    CONSTRAINT CK_3Pay_Offline_Refund_Refunded
        CHECK (status <> 'REFUNDED' OR (refunded_at IS NOT NULL AND refunded_total_after IS NOT NULL))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The token of the request that holds the lease (lease_until): Begin called again with the same token — the same
-- request after the database's answer was lost, or passed on by nginx to another responder — is the holder, not
-- another request to turn away as busy. NULL: a lease no request names (the sweep's, or one taken without a token).
ALTER TABLE T_3Pay_Offline_Refund ADD COLUMN IF NOT EXISTS lease_token VARCHAR(64) NULL AFTER lease_until;

-- Refund receipts: one table beside each receipt table, one row per recorded refund (UNIQUE refund_id), the
-- amount positive (what went back to the buyer). A business system's net takings for a bill are its receipts
-- minus its refund receipts.
-- billtype 1: scenic-area ticketing.
CREATE TABLE IF NOT EXISTS T_3Pay_Receipt_Scenic_Refund (
    refund_receipt_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    refund_id         BIGINT UNSIGNED NOT NULL,
    autoid            BIGINT UNSIGNED NOT NULL,
    billnum           VARCHAR(20)     NOT NULL,
    out_trade_no      VARCHAR(64)     NOT NULL,
    trade_no          VARCHAR(64)     NOT NULL,
    refundno          VARCHAR(32)     NOT NULL,
    amount            DECIMAL(12,2)   NOT NULL,
    refunded_at       DATETIME(3)     NOT NULL,
    created_at        DATETIME(3)     NOT NULL DEFAULT UTC_TIMESTAMP(3),
    PRIMARY KEY (refund_receipt_id),
    UNIQUE KEY UX_3Pay_Receipt_Scenic_Refund_Refund (refund_id),
    KEY IX_3Pay_Receipt_Scenic_Refund_Billnum (billnum),
    CONSTRAINT FK_3Pay_Receipt_Scenic_Refund_Refund
        FOREIGN KEY (refund_id) REFERENCES T_3Pay_Offline_Refund (refund_id),
    CONSTRAINT FK_3Pay_Receipt_Scenic_Refund_Record
        FOREIGN KEY (autoid) REFERENCES T_3Pay_Offline_ReceiveMoney (autoid),
    CONSTRAINT CK_3Pay_Receipt_Scenic_Refund_Amount CHECK (amount > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- billtype 2: POS.
CREATE TABLE IF NOT EXISTS T_3Pay_Receipt_Pos_Refund (
    refund_receipt_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    refund_id         BIGINT UNSIGNED NOT NULL,
    autoid            BIGINT UNSIGNED NOT NULL,
    billnum           VARCHAR(20)     NOT NULL,
    out_trade_no      VARCHAR(64)     NOT NULL,
    trade_no          VARCHAR(64)     NOT NULL,
    refundno          VARCHAR(32)     NOT NULL,
    amount            DECIMAL(12,2)   NOT NULL,
    refunded_at       DATETIME(3)     NOT NULL,
    created_at        DATETIME(3)     NOT NULL DEFAULT UTC_TIMESTAMP(3),
    PRIMARY KEY (refund_receipt_id),
    UNIQUE KEY UX_3Pay_Receipt_Pos_Refund_Refund (refund_id),
    KEY IX_3Pay_Receipt_Pos_Refund_Billnum (billnum),
    CONSTRAINT FK_3Pay_Receipt_Pos_Refund_Refund FOREIGN KEY (refund_id) REFERENCES T_3Pay_Offline_Refund (refund_id),
    CONSTRAINT FK_3Pay_Receipt_Pos_Refund_Record FOREIGN KEY (autoid) REFERENCES T_3Pay_Offline_ReceiveMoney (autoid),
    CONSTRAINT CK_3Pay_Receipt_Pos_Refund_Amount CHECK (amount > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- billtype 3: car rental.
CREATE TABLE IF NOT EXISTS T_3Pay_Receipt_CarRental_Refund (
    refund_receipt_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    refund_id         BIGINT UNSIGNED NOT NULL,
    autoid            BIGINT UNSIGNED NOT NULL,
    billnum           VARCHAR(20)     NOT NULL,
    out_trade_no      VARCHAR(64)     NOT NULL,
    trade_no          VARCHAR(64)     NOT NULL,
    refundno          VARCHAR(32)     NOT NULL,
    amount            DECIMAL(12,2)   NOT NULL,
    refunded_at       DATETIME(3)     NOT NULL,
    created_at        DATETIME(3)     NOT NULL DEFAULT UTC_TIMESTAMP(3),
    PRIMARY KEY (refund_receipt_id),
    UNIQUE KEY UX_3Pay_Receipt_CarRental_Refund_Refund (refund_id),
    KEY IX_3Pay_Receipt_CarRental_Refund_Billnum (billnum),
    CONSTRAINT FK_3Pay_Receipt_CarRental_Refund_Refund
        FOREIGN KEY (refund_id) REFERENCES T_3Pay_Offline_Refund (refund_id),
    CONSTRAINT FK_3Pay_Receipt_CarRental_Refund_Record
        FOREIGN KEY (autoid) REFERENCES T_3Pay_Offline_ReceiveMoney (autoid),
    CONSTRAINT CK_3Pay_Receipt_CarRental_Refund_Amount CHECK (amount > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- billtype 4: eco-car.
CREATE TABLE IF NOT EXISTS T_3Pay_Receipt_EcoCar_Refund (
    refund_receipt_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    refund_id         BIGINT UNSIGNED NOT NULL,
    autoid            BIGINT UNSIGNED NOT NULL,
    billnum           VARCHAR(20)     NOT NULL,
    out_trade_no      VARCHAR(64)     NOT NULL,
    trade_no          VARCHAR(64)     NOT NULL,
    refundno          VARCHAR(32)     NOT NULL,
    amount            DECIMAL(12,2)   NOT NULL,
    refunded_at       DATETIME(3)     NOT NULL,
    created_at        DATETIME(3)     NOT NULL DEFAULT UTC_TIMESTAMP(3),
    PRIMARY KEY (refund_receipt_id),
    UNIQUE KEY UX_3Pay_Receipt_EcoCar_Refund_Refund (refund_id),
    KEY IX_3Pay_Receipt_EcoCar_Refund_Billnum (billnum),
    CONSTRAINT FK_3Pay_Receipt_EcoCar_Refund_Refund
        FOREIGN KEY (refund_id) REFERENCES T_3Pay_Offline_Refund (refund_id),
    CONSTRAINT FK_3Pay_Receipt_EcoCar_Refund_Record
        FOREIGN KEY (autoid) REFERENCES T_3Pay_Offline_ReceiveMoney (autoid),
    CONSTRAINT CK_3Pay_Receipt_EcoCar_Refund_Amount CHECK (amount > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- billtype 5: equipment rental.
CREATE TABLE IF NOT EXISTS T_3Pay_Receipt_EquipmentRental_Refund (
    refund_receipt_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    refund_id         BIGINT UNSIGNED NOT NULL,
    autoid            BIGINT UNSIGNED NOT NULL,
    billnum           VARCHAR(20)     NOT NULL,
    out_trade_no      VARCHAR(64)     NOT NULL,
    trade_no          VARCHAR(64)     NOT NULL,
    refundno          VARCHAR(32)     NOT NULL,
    amount            DECIMAL(12,2)   NOT NULL,
    refunded_at       DATETIME(3)     NOT NULL,
    created_at        DATETIME(3)     NOT NULL DEFAULT UTC_TIMESTAMP(3),
    PRIMARY KEY (refund_receipt_id),
    UNIQUE KEY UX_3Pay_Receipt_EquipmentRental_Refund_Refund (refund_id),
    KEY IX_3Pay_Receipt_EquipmentRental_Refund_Billnum (billnum),
    CONSTRAINT FK_3Pay_Receipt_EquipmentRental_Refund_Refund
        FOREIGN KEY (refund_id) REFERENCES T_3Pay_Offline_Refund (refund_id),
    CONSTRAINT FK_3Pay_Receipt_EquipmentRental_Refund_Record
        FOREIGN KEY (autoid) REFERENCES T_3Pay_Offline_ReceiveMoney (autoid),
    CONSTRAINT CK_3Pay_Receipt_EquipmentRental_Refund_Amount CHECK (amount > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- billtype 6: joint retail.
CREATE TABLE IF NOT EXISTS T_3Pay_Receipt_JointRetail_Refund (
    refund_receipt_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    refund_id         BIGINT UNSIGNED NOT NULL,
    autoid            BIGINT UNSIGNED NOT NULL,
    billnum           VARCHAR(20)     NOT NULL,
    out_trade_no      VARCHAR(64)     NOT NULL,
    trade_no          VARCHAR(64)     NOT NULL,
    refundno          VARCHAR(32)     NOT NULL,
    amount            DECIMAL(12,2)   NOT NULL,
    refunded_at       DATETIME(3)     NOT NULL,
    created_at        DATETIME(3)     NOT NULL DEFAULT UTC_TIMESTAMP(3),
    PRIMARY KEY (refund_receipt_id),
    UNIQUE KEY UX_3Pay_Receipt_JointRetail_Refund_Refund (refund_id),
    KEY IX_3Pay_Receipt_JointRetail_Refund_Billnum (billnum),
    CONSTRAINT FK_3Pay_Receipt_JointRetail_Refund_Refund
        FOREIGN KEY (refund_id) REFERENCES T_3Pay_Offline_Refund (refund_id),
    CONSTRAINT FK_3Pay_Receipt_JointRetail_Refund_Record
        FOREIGN KEY (autoid) REFERENCES T_3Pay_Offline_ReceiveMoney (autoid),
    CONSTRAINT CK_3Pay_Receipt_JointRetail_Refund_Amount CHECK (amount > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- billtype 7: stored-value card recharge (cardno: the card debited).
CREATE TABLE IF NOT EXISTS T_3Pay_Receipt_StoredValueCard_Refund (
    refund_receipt_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    refund_id         BIGINT UNSIGNED NOT NULL,
    autoid            BIGINT UNSIGNED NOT NULL,
    billnum           VARCHAR(20)     NOT NULL,
    out_trade_no      VARCHAR(64)     NOT NULL,
    trade_no          VARCHAR(64)     NOT NULL,
    refundno          VARCHAR(32)     NOT NULL,
    amount            DECIMAL(12,2)   NOT NULL,
    refunded_at       DATETIME(3)     NOT NULL,
    cardno            VARCHAR(20)     NOT NULL,
    created_at        DATETIME(3)     NOT NULL DEFAULT UTC_TIMESTAMP(3),
    PRIMARY KEY (refund_receipt_id),
    UNIQUE KEY UX_3Pay_Receipt_StoredValueCard_Refund_Refund (refund_id),
    KEY IX_3Pay_Receipt_StoredValueCard_Refund_Billnum (billnum),
    CONSTRAINT FK_3Pay_Receipt_StoredValueCard_Refund_Refund
        FOREIGN KEY (refund_id) REFERENCES T_3Pay_Offline_Refund (refund_id),
    CONSTRAINT FK_3Pay_Receipt_StoredValueCard_Refund_Record
        FOREIGN KEY (autoid) REFERENCES T_3Pay_Offline_ReceiveMoney (autoid),
    CONSTRAINT CK_3Pay_Receipt_StoredValueCard_Refund_Amount CHECK (amount > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The card debit journal: one row per refund of a stored-value recharge (UNIQUE refund_id). The balance is
-- debited when the refund is requested, so money that may be refunded cannot be spent meanwhile; a refund
-- Alipay refuses gives it back (reversed_at set, balance restored). A refund that arrives by notification is
-- debited when recorded, even below zero: that money has already left.
CREATE TABLE IF NOT EXISTS T_3Pay_StoredValueCard_Debit (
    debit_id      BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    refund_id     BIGINT UNSIGNED NOT NULL,
    cardno        VARCHAR(20)     NOT NULL,
    amount        DECIMAL(12,2)   NOT NULL,
    balance_after DECIMAL(14,2)   NOT NULL,
    reversed_at   DATETIME(3)     NULL,
    created_at    DATETIME(3)     NOT NULL DEFAULT UTC_TIMESTAMP(3),
    PRIMARY KEY (debit_id),
    UNIQUE KEY UX_3Pay_StoredValueCard_Debit_Refund (refund_id),
    KEY IX_3Pay_StoredValueCard_Debit_Card (cardno, debit_id),
    CONSTRAINT FK_3Pay_StoredValueCard_Debit_Card FOREIGN KEY (cardno) REFERENCES T_3Pay_StoredValueCard (cardno),
    CONSTRAINT FK_3Pay_StoredValueCard_Debit_Refund
        FOREIGN KEY (refund_id) REFERENCES T_3Pay_Offline_Refund (refund_id),
    CONSTRAINT CK_3Pay_StoredValueCard_Debit_Amount CHECK (amount > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The refund columns every refund procedure returns, with the payment they belong to.
CREATE OR REPLACE VIEW V_3Pay_Offline_Refund AS
SELECT f.refund_id, f.autoid, f.billtype, f.billnum, f.refundno, f.out_request_no, f.amount, f.reason, f.status,
       f.lease_until, f.gateway_code, f.gateway_sub_code, f.gateway_msg, f.source, f.refunded_at,
       f.refunded_total_after, f.created_at, f.updated_at, r.out_trade_no, r.trade_no, r.paid_amount,
       r.refunded_amount AS refunded_total, r.cardno
FROM T_3Pay_Offline_Refund f
JOIN T_3Pay_Offline_ReceiveMoney r ON r.autoid = f.autoid;

DELIMITER $$

-- Starts, resumes or looks up the refund p_refundno of a paid bill (by p_autoid, or else the bill's current
-- record). Returns one row: action + the refund's columns (V_3Pay_Offline_Refund), where action is
--   'call'   the caller calls alipay.trade.refund with out_request_no (a new refund, REQUESTED; its lease is the
--            caller's for p_lease_ms) and records the outcome with _Refunded, _Failed or _Pending;
--   'query'  the outcome of an earlier call is unknown (PENDING, or REQUESTED whose caller's lease ran out): the
--            caller asks alipay.trade.fastpay.refund.query first (the lease is its own for p_lease_ms), records
--            a refund found with _Refunded, and calls the refund again with the same out_request_no only when
--            Alipay has not received it;
--   'done'   REFUNDED or FAILED: the answer is the row;
--   'busy'   another request holds this refund's lease: nothing changed; ask again shortly.
-- p_lease_token names the caller's lease (NULL: none). A lease held under the caller's own token counts as free, so a
-- repeat of the same request (a lost answer, or nginx passing it on to another responder) is answered 'query' rather
-- than 'busy': it asks Alipay before it calls, never refunding twice.
-- Refuses, before anything is written: 50004 unknown bill or record, 50007 a bill that is not paid,
-- 50008 the refundno with another amount or of a refund Alipay reported, 50009 more than what is left to refund
-- (paid minus refunded, requested and pending refunds), 50010 a stored-value recharge whose card balance is lower
-- than the refund. A new refund of a stored-value recharge debits the card at once (given back if Alipay refuses).
CREATE OR REPLACE PROCEDURE Sp_3Pay_Offline_Refund_Begin(
    IN p_autoid      BIGINT UNSIGNED,
    IN p_billtype    VARCHAR(255),
    IN p_billnum     VARCHAR(255),
    IN p_refundno    VARCHAR(255),
    IN p_amount      DECIMAL(65,30),
    IN p_reason      VARCHAR(1024),
    IN p_lease_ms    INT,
    IN p_lease_token VARCHAR(64)
)
MODIFIES SQL DATA
BEGIN
    DECLARE v_attempt   INT DEFAULT 0;
    DECLARE v_done      BOOLEAN DEFAULT FALSE;
    DECLARE v_now       DATETIME(3);
    DECLARE v_autoid    BIGINT UNSIGNED;
    DECLARE v_billtype  CHAR(1);
    DECLARE v_billnum   VARCHAR(20);
    DECLARE v_status    VARCHAR(16);
    DECLARE v_paid      DECIMAL(12,2);
    DECLARE v_cardno    VARCHAR(20);
    DECLARE v_taken     DECIMAL(14,2);
    DECLARE v_balance   DECIMAL(14,2);
    DECLARE v_refund    BIGINT UNSIGNED;
    DECLARE v_r_amount  DECIMAL(12,2);
    DECLARE v_r_status  VARCHAR(16);
    DECLARE v_r_lease   DATETIME(3);
    DECLARE v_r_token   VARCHAR(64);
    DECLARE v_r_source  VARCHAR(16);
    DECLARE v_action    VARCHAR(8);
    DECLARE v_msg       VARCHAR(160);

    IF p_refundno IS NULL OR TRIM(p_refundno) = '' THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002, MESSAGE_TEXT = 'refundno is required';
    END IF;
    IF CHAR_LENGTH(p_refundno) > 32 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002, MESSAGE_TEXT = 'refundno must be at most 32 characters';
    END IF;
    IF p_amount IS NULL OR p_amount <= 0 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002, MESSAGE_TEXT = 'refundvalue must be greater than 0';
    END IF;
    IF p_amount <> ROUND(p_amount, 2) THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002,
            MESSAGE_TEXT = 'refundvalue must have at most 2 decimal places';
    END IF;
    IF CHAR_LENGTH(p_reason) > 256 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002, MESSAGE_TEXT = 'reason must be at most 256 characters';
    END IF;
    IF p_lease_ms IS NULL OR p_lease_ms NOT BETWEEN 1 AND 600000 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002,
            MESSAGE_TEXT = 'lease must be between 1 and 600000 milliseconds';
    END IF;

    -- Which record: the one named, or the bill's current one (a bill's record and bill never change, so they
    -- may be read before locking).
    IF p_autoid IS NOT NULL THEN
        SELECT autoid, billtype, billnum INTO v_autoid, v_billtype, v_billnum
          FROM T_3Pay_Offline_ReceiveMoney WHERE autoid = p_autoid;
    ELSE
        SELECT current_autoid, billtype, billnum INTO v_autoid, v_billtype, v_billnum
          FROM T_3Pay_Offline_Bill WHERE billtype = p_billtype AND billnum = p_billnum;
    END IF;
    IF v_autoid IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50004, MESSAGE_TEXT = 'No payment record for that bill';
    END IF;

    attempts: LOOP
        SET v_attempt = v_attempt + 1;
        BEGIN
            DECLARE EXIT HANDLER FOR 1213
            BEGIN
                ROLLBACK;
                IF v_attempt >= 5 THEN
                    RESIGNAL;
                END IF;
            END;
            DECLARE EXIT HANDLER FOR SQLEXCEPTION
            BEGIN
                ROLLBACK;
                RESIGNAL;
            END;

            START TRANSACTION;
            SET v_now = UTC_TIMESTAMP(3);
            SET v_refund = NULL;
            SET v_r_status = NULL;
            SET v_balance = NULL;
            -- The same lock order as Begin and Paid: the bill, then the record.
            SELECT billtype INTO v_billtype FROM T_3Pay_Offline_Bill
             WHERE billtype = v_billtype AND billnum = v_billnum FOR UPDATE;
            SELECT status, paid_amount, NULLIF(TRIM(cardno), '') INTO v_status, v_paid, v_cardno
              FROM T_3Pay_Offline_ReceiveMoney WHERE autoid = v_autoid FOR UPDATE;
            SELECT refund_id, amount, status, lease_until, lease_token, source
              INTO v_refund, v_r_amount, v_r_status, v_r_lease, v_r_token, v_r_source
              FROM T_3Pay_Offline_Refund
             WHERE billtype = v_billtype AND billnum = v_billnum AND refundno = p_refundno
               FOR UPDATE;

            IF v_refund IS NOT NULL THEN
                -- The same refundno is the same refund: one amount for ever, and never a second Alipay call while
                -- one is under way. A refund Alipay reported (made in the portal, or by a cancel) has Alipay's
                -- number as its refundno; a request naming it is not answered with that refund as its own, which
                -- would tell the merchant a refund was made that it never asked for.
                IF v_r_source <> 'request' THEN
                    SET v_msg = CONCAT('Refund ', p_refundno, ' is a refund Alipay reported (', v_r_source,
                                       '), not one asked for through ThreePay');
                    SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50008, MESSAGE_TEXT = v_msg;
                ELSEIF v_r_amount <> p_amount THEN
                    SET v_msg = CONCAT('Refund ', p_refundno, ' was requested with another amount (', v_r_amount, ')');
                    SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50008, MESSAGE_TEXT = v_msg;
                ELSEIF v_r_status IN ('REFUNDED', 'FAILED') THEN
                    SET v_action = 'done';
                ELSEIF v_r_lease IS NOT NULL AND v_r_lease > v_now
                       AND NOT (p_lease_token IS NOT NULL AND v_r_token <=> p_lease_token) THEN
                    SET v_action = 'busy';
                ELSE
                    SET v_action = 'query';
                    UPDATE T_3Pay_Offline_Refund
                       SET lease_until = v_now + INTERVAL p_lease_ms * 1000 MICROSECOND, lease_token = p_lease_token,
                           updated_at = v_now
                     WHERE refund_id = v_refund;
                END IF;
            ELSEIF v_status <> 'PAID' THEN
                SET v_msg = CONCAT('Bill ', v_billnum, ' (type ', v_billtype, ') is not paid');
                SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50007, MESSAGE_TEXT = v_msg;
            ELSE
                SELECT COALESCE(SUM(amount), 0) INTO v_taken
                  FROM T_3Pay_Offline_Refund
                 WHERE autoid = v_autoid AND status IN ('REQUESTED', 'PENDING', 'REFUNDED');
                IF p_amount > v_paid - v_taken THEN
                    SET v_msg = CONCAT('Refund of ', CAST(p_amount AS DECIMAL(14,2)), ' exceeds what is left to refund (',
                                       v_paid - v_taken, ')');
                    SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50009, MESSAGE_TEXT = v_msg;
                END IF;
                IF v_billtype = '7' THEN
                    SELECT balance INTO v_balance FROM T_3Pay_StoredValueCard WHERE cardno = v_cardno FOR UPDATE;
                    IF COALESCE(v_balance, 0) < p_amount THEN
                        SET v_msg = CONCAT('Card ', v_cardno, ' holds ', COALESCE(v_balance, 0), ', less than the refund');
                        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50010, MESSAGE_TEXT = v_msg;
                    END IF;
                END IF;
                -- The bill row is written too: FOR UPDATE above makes two new refunds of one payment take turns on
                -- one server, but a Galera cluster does not share row locks between nodes. Both writing the bill
                -- row, two nodes' concurrent refunds conflict at certification: one commits, the other runs again
                -- (1213) and counts the first one in what is left to refund.
                UPDATE T_3Pay_Offline_Bill SET updated_at = v_now
                 WHERE billtype = v_billtype AND billnum = v_billnum;
                INSERT INTO T_3Pay_Offline_Refund
                    (autoid, billtype, billnum, refundno, amount, reason, status, lease_until, lease_token, source,
                     created_at, updated_at)
                VALUES
                    (v_autoid, v_billtype, v_billnum, p_refundno, p_amount, NULLIF(p_reason, ''), 'REQUESTED',
                     v_now + INTERVAL p_lease_ms * 1000 MICROSECOND, p_lease_token, 'request', v_now, v_now);
                SET v_refund = LAST_INSERT_ID();
                UPDATE T_3Pay_Offline_Refund
                   SET out_request_no = CONCAT('RF', LPAD(v_refund, GREATEST(10, CHAR_LENGTH(v_refund)), '0'))
                 WHERE refund_id = v_refund;
                IF v_billtype = '7' THEN
                    UPDATE T_3Pay_StoredValueCard SET balance = balance - p_amount, updated_at = v_now
                     WHERE cardno = v_cardno;
                    INSERT INTO T_3Pay_StoredValueCard_Debit (refund_id, cardno, amount, balance_after, created_at)
                        VALUES (v_refund, v_cardno, p_amount, v_balance - p_amount, v_now);
                END IF;
                SET v_action = 'call';
            END IF;
            COMMIT;
            SET v_done = TRUE;
        END;
        IF v_done THEN
            LEAVE attempts;
        END IF;
        DO SLEEP(0.005 * v_attempt + RAND() * 0.01);
    END LOOP;

    SELECT v_action AS action, v.* FROM V_3Pay_Offline_Refund v WHERE v.refund_id = v_refund;
END$$

-- Records that Alipay refunded p_refund_id (its refund answer, a refund query, or a notification): status
-- REFUNDED, the payment's refunded total, the refund receipt in the billtype's refund table, the card debit of a
-- stored-value recharge (again, if a refusal had given it back), and the refund's callback — in one transaction.
-- Returns changed (1 = recorded now, 0 = already) + the refund's columns. Idempotent.
CREATE OR REPLACE PROCEDURE Sp_3Pay_Offline_Refund_Refunded(
    IN p_refund_id   BIGINT UNSIGNED,
    IN p_refunded_at DATETIME(3)
)
MODIFIES SQL DATA
BEGIN
    DECLARE v_attempt INT DEFAULT 0;
    DECLARE v_done    BOOLEAN DEFAULT FALSE;
    DECLARE v_changed INT;

    attempts: LOOP
        SET v_attempt = v_attempt + 1;
        BEGIN
            DECLARE EXIT HANDLER FOR 1213
            BEGIN
                ROLLBACK;
                IF v_attempt >= 5 THEN
                    RESIGNAL;
                END IF;
            END;
            DECLARE EXIT HANDLER FOR SQLEXCEPTION
            BEGIN
                ROLLBACK;
                RESIGNAL;
            END;

            START TRANSACTION;
            CALL Sp_3Pay_Refund_Record(p_refund_id, p_refunded_at, v_changed);
            COMMIT;
            SET v_done = TRUE;
        END;
        IF v_done THEN
            LEAVE attempts;
        END IF;
        DO SLEEP(0.005 * v_attempt + RAND() * 0.01);
    END LOOP;

    SELECT v_changed AS changed, v.* FROM V_3Pay_Offline_Refund v WHERE v.refund_id = p_refund_id;
END$$

-- Internal, inside the caller's transaction: marks a refund REFUNDED and writes what goes with it (see _Refunded).
-- Locks the bill, the record, the refund, the card, in that order. p_changed: 1 recorded now, 0 already.
CREATE OR REPLACE PROCEDURE Sp_3Pay_Refund_Record(
    IN  p_refund_id   BIGINT UNSIGNED,
    IN  p_refunded_at DATETIME(3),
    OUT p_changed     INT
)
MODIFIES SQL DATA
BEGIN
    DECLARE v_now       DATETIME(3) DEFAULT UTC_TIMESTAMP(3);
    DECLARE v_autoid    BIGINT UNSIGNED;
    DECLARE v_billtype  CHAR(1);
    DECLARE v_billnum   VARCHAR(20);
    DECLARE v_status    VARCHAR(16);
    DECLARE v_amount    DECIMAL(12,2);
    DECLARE v_refundno  VARCHAR(32);
    DECLARE v_total     DECIMAL(12,2);
    DECLARE v_paid      DECIMAL(12,2);
    DECLARE v_trade     VARCHAR(64);
    DECLARE v_trade_no  VARCHAR(64);
    DECLARE v_cardno    VARCHAR(20);
    DECLARE v_at        DATETIME(3);
    DECLARE v_balance   DECIMAL(14,2);
    DECLARE v_msg       VARCHAR(160);

    IF @@in_transaction = 0 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002,
            MESSAGE_TEXT = 'Sp_3Pay_Refund_Record must be called inside a transaction';
    END IF;
    SELECT autoid, billtype, billnum INTO v_autoid, v_billtype, v_billnum
      FROM T_3Pay_Offline_Refund WHERE refund_id = p_refund_id;
    IF v_autoid IS NULL THEN
        SET v_msg = CONCAT('Refund ', p_refund_id, ' does not exist');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50004, MESSAGE_TEXT = v_msg;
    END IF;
    SELECT billtype INTO v_billtype FROM T_3Pay_Offline_Bill
     WHERE billtype = v_billtype AND billnum = v_billnum FOR UPDATE;
    SELECT refunded_amount, paid_amount, out_trade_no, trade_no, NULLIF(TRIM(cardno), '')
      INTO v_total, v_paid, v_trade, v_trade_no, v_cardno
      FROM T_3Pay_Offline_ReceiveMoney WHERE autoid = v_autoid FOR UPDATE;
    SELECT status, amount, refundno INTO v_status, v_amount, v_refundno
      FROM T_3Pay_Offline_Refund WHERE refund_id = p_refund_id FOR UPDATE;

    IF v_status = 'REFUNDED' THEN
        SET p_changed = 0;
    ELSEIF v_total + v_amount > v_paid THEN
        SET v_msg = CONCAT('Refund ', v_refundno, ' would refund more than was paid');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50009, MESSAGE_TEXT = v_msg;
    ELSE
        SET v_at = COALESCE(p_refunded_at, v_now);
        SET v_total = v_total + v_amount;
        UPDATE T_3Pay_Offline_ReceiveMoney SET refunded_amount = v_total, updated_at = v_now WHERE autoid = v_autoid;
        UPDATE T_3Pay_Offline_Refund
           SET status = 'REFUNDED', refunded_at = v_at, refunded_total_after = v_total, lease_until = NULL,
               gateway_code = NULL, gateway_sub_code = NULL, gateway_msg = NULL, updated_at = v_now
         WHERE refund_id = p_refund_id;
        CASE v_billtype
            WHEN '1' THEN
                INSERT INTO T_3Pay_Receipt_Scenic_Refund
                    (refund_id, autoid, billnum, out_trade_no, trade_no, refundno, amount, refunded_at, created_at)
                VALUES (p_refund_id, v_autoid, v_billnum, v_trade, v_trade_no, v_refundno, v_amount, v_at, v_now);
            WHEN '2' THEN
                INSERT INTO T_3Pay_Receipt_Pos_Refund
                    (refund_id, autoid, billnum, out_trade_no, trade_no, refundno, amount, refunded_at, created_at)
                VALUES (p_refund_id, v_autoid, v_billnum, v_trade, v_trade_no, v_refundno, v_amount, v_at, v_now);
            WHEN '3' THEN
                INSERT INTO T_3Pay_Receipt_CarRental_Refund
                    (refund_id, autoid, billnum, out_trade_no, trade_no, refundno, amount, refunded_at, created_at)
                VALUES (p_refund_id, v_autoid, v_billnum, v_trade, v_trade_no, v_refundno, v_amount, v_at, v_now);
            WHEN '4' THEN
                INSERT INTO T_3Pay_Receipt_EcoCar_Refund
                    (refund_id, autoid, billnum, out_trade_no, trade_no, refundno, amount, refunded_at, created_at)
                VALUES (p_refund_id, v_autoid, v_billnum, v_trade, v_trade_no, v_refundno, v_amount, v_at, v_now);
            WHEN '5' THEN
                INSERT INTO T_3Pay_Receipt_EquipmentRental_Refund
                    (refund_id, autoid, billnum, out_trade_no, trade_no, refundno, amount, refunded_at, created_at)
                VALUES (p_refund_id, v_autoid, v_billnum, v_trade, v_trade_no, v_refundno, v_amount, v_at, v_now);
            WHEN '6' THEN
                INSERT INTO T_3Pay_Receipt_JointRetail_Refund
                    (refund_id, autoid, billnum, out_trade_no, trade_no, refundno, amount, refunded_at, created_at)
                VALUES (p_refund_id, v_autoid, v_billnum, v_trade, v_trade_no, v_refundno, v_amount, v_at, v_now);
            WHEN '7' THEN
                INSERT INTO T_3Pay_Receipt_StoredValueCard_Refund
                    (refund_id, autoid, billnum, out_trade_no, trade_no, refundno, amount, refunded_at, cardno,
                     created_at)
                VALUES (p_refund_id, v_autoid, v_billnum, v_trade, v_trade_no, v_refundno, v_amount, v_at, v_cardno,
                        v_now);
                -- The debit taken when the refund was requested stands; one a refusal gave back (or a refund
                -- that never went through Begin) is taken now, even below zero: the money has left.
                IF NOT EXISTS (SELECT 1 FROM T_3Pay_StoredValueCard_Debit
                                WHERE refund_id = p_refund_id AND reversed_at IS NULL) THEN
                    INSERT INTO T_3Pay_StoredValueCard (cardno, balance, created_at, updated_at)
                        VALUES (v_cardno, -v_amount, v_now, v_now)
                        ON DUPLICATE KEY UPDATE balance = balance - v_amount, updated_at = v_now;
                    SELECT balance INTO v_balance FROM T_3Pay_StoredValueCard WHERE cardno = v_cardno FOR UPDATE;
                    INSERT INTO T_3Pay_StoredValueCard_Debit (refund_id, cardno, amount, balance_after, created_at)
                        VALUES (p_refund_id, v_cardno, v_amount, v_balance, v_now)
                        ON DUPLICATE KEY UPDATE balance_after = v_balance, reversed_at = NULL;
                END IF;
            ELSE
                SET v_msg = CONCAT('Refund ', p_refund_id, ' has billtype ', COALESCE(v_billtype, 'NULL'),
                                   ', which has no refund receipt table');
                SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50006, MESSAGE_TEXT = v_msg;
        END CASE;
        INSERT INTO T_3Pay_Callback_Outbox
            (autoid, refund_id, billtype, status, attempts, next_attempt_at, created_at, updated_at)
        VALUES (v_autoid, p_refund_id, v_billtype, 'PENDING', 0, v_now, v_now, v_now);
        SET p_changed = 1;
    END IF;
END$$

-- Records that Alipay refused p_refund_id (a signed answer): status FAILED with Alipay's code, final for its
-- refundno; a stored-value card debit is given back. A refund already REFUNDED raises 50003. Returns the row.
CREATE OR REPLACE PROCEDURE Sp_3Pay_Offline_Refund_Failed(
    IN p_refund_id BIGINT UNSIGNED,
    IN p_code      VARCHAR(255),
    IN p_sub_code  VARCHAR(255),
    IN p_msg       TEXT
)
MODIFIES SQL DATA
BEGIN
    CALL Sp_3Pay_Refund_Transition(p_refund_id, 'failed', LEFT(p_code, 32), LEFT(p_sub_code, 64), LEFT(p_msg, 512));
    SELECT * FROM V_3Pay_Offline_Refund WHERE refund_id = p_refund_id;
END$$

-- Records that the outcome of the refund call is unknown (timeout, transport failure, unverifiable answer):
-- status PENDING, its lease given back, so the next copy of the request or the sweep asks Alipay. A refund that
-- is already REFUNDED or FAILED stays as it is. Returns the row.
CREATE OR REPLACE PROCEDURE Sp_3Pay_Offline_Refund_Pending(
    IN p_refund_id BIGINT UNSIGNED,
    IN p_reason    TEXT
)
MODIFIES SQL DATA
BEGIN
    CALL Sp_3Pay_Refund_Transition(p_refund_id, 'pending', NULL, NULL, LEFT(p_reason, 512));
    SELECT * FROM V_3Pay_Offline_Refund WHERE refund_id = p_refund_id;
END$$

-- Internal: the 'failed' and 'pending' events of a refund, in their own transaction. REQUESTED/PENDING → FAILED
-- (debit given back) or PENDING; REFUNDED → unchanged for 'pending', 50003 for 'failed'; FAILED → unchanged.
CREATE OR REPLACE PROCEDURE Sp_3Pay_Refund_Transition(
    IN p_refund_id BIGINT UNSIGNED,
    IN p_event     VARCHAR(16),
    IN p_code      VARCHAR(32),
    IN p_sub_code  VARCHAR(64),
    IN p_msg       VARCHAR(512)
)
MODIFIES SQL DATA
BEGIN
    DECLARE v_attempt  INT DEFAULT 0;
    DECLARE v_done     BOOLEAN DEFAULT FALSE;
    DECLARE v_now      DATETIME(3);
    DECLARE v_status   VARCHAR(16);
    DECLARE v_cardno   VARCHAR(20);
    DECLARE v_amount   DECIMAL(12,2);
    DECLARE v_refundno VARCHAR(32);
    DECLARE v_msg      VARCHAR(160);

    attempts: LOOP
        SET v_attempt = v_attempt + 1;
        BEGIN
            DECLARE EXIT HANDLER FOR 1213
            BEGIN
                ROLLBACK;
                IF v_attempt >= 5 THEN
                    RESIGNAL;
                END IF;
            END;
            DECLARE EXIT HANDLER FOR SQLEXCEPTION
            BEGIN
                ROLLBACK;
                RESIGNAL;
            END;

            START TRANSACTION;
            SET v_now = UTC_TIMESTAMP(3);
            SET v_status = NULL;
            SELECT status, amount, refundno INTO v_status, v_amount, v_refundno
              FROM T_3Pay_Offline_Refund WHERE refund_id = p_refund_id FOR UPDATE;
            IF v_status IS NULL THEN
                SET v_msg = CONCAT('Refund ', p_refund_id, ' does not exist');
                SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50004, MESSAGE_TEXT = v_msg;
            ELSEIF p_event = 'failed' AND v_status = 'REFUNDED' THEN
                SET v_msg = CONCAT('Refund ', v_refundno, ' is REFUNDED: cannot record failed');
                SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50003, MESSAGE_TEXT = v_msg;
            ELSEIF p_event = 'failed' AND v_status IN ('REQUESTED', 'PENDING') THEN
                UPDATE T_3Pay_Offline_Refund
                   SET status = 'FAILED', lease_until = NULL, gateway_code = p_code, gateway_sub_code = p_sub_code,
                       gateway_msg = p_msg, updated_at = v_now
                 WHERE refund_id = p_refund_id;
                SET v_cardno = NULL;
                SELECT cardno INTO v_cardno FROM T_3Pay_StoredValueCard_Debit
                 WHERE refund_id = p_refund_id AND reversed_at IS NULL;
                IF v_cardno IS NOT NULL THEN
                    UPDATE T_3Pay_StoredValueCard SET balance = balance + v_amount, updated_at = v_now
                     WHERE cardno = v_cardno;
                    UPDATE T_3Pay_StoredValueCard_Debit SET reversed_at = v_now WHERE refund_id = p_refund_id;
                END IF;
            ELSEIF p_event = 'pending' AND v_status IN ('REQUESTED', 'PENDING') THEN
                UPDATE T_3Pay_Offline_Refund
                   SET status = 'PENDING', lease_until = NULL, gateway_msg = p_msg, updated_at = v_now
                 WHERE refund_id = p_refund_id;
            END IF;
            COMMIT;
            SET v_done = TRUE;
        END;
        IF v_done THEN
            LEAVE attempts;
        END IF;
        DO SLEEP(0.005 * v_attempt + RAND() * 0.01);
    END LOOP;
END$$

-- Until this version Sp_3Pay_Offline_Refund_External took Alipay's running total where _Reported takes the refund's
-- own amount. It is dropped, not kept beside _Reported, so that a service of the earlier version still running
-- during an upgrade fails loudly (Alipay sends the notification again) instead of recording a total as an amount.
DROP PROCEDURE IF EXISTS Sp_3Pay_Offline_Refund_External$$

-- Records a refund Alipay reports for a trade of ours (a refund notification's out_biz_no, or the refund a cancel
-- made): the refund with that out_request_no if ThreePay asked for it, otherwise a new refund (source p_source,
-- refundno = out_request_no, see below) of p_amount. p_amount is that refund's own amount, as Alipay's refund query
-- of out_request_no answers it: a notification's refund_fee is the trade's running total, which cannot tell one
-- refund from another while one of ThreePay's own refunds is unrecorded or notifications arrive out of order.
-- p_amount NULL: for a cancel's refund, the rest of the payment; for a notification, only a refund that ThreePay
-- knows by that out_request_no is recorded (so the service asks Alipay's refund query only for one it does not know).
-- Recorded as _Refunded records a refund. The payment must be recorded first (50007). Returns changed + the refund's
-- columns; no row when there is nothing to record (a notified refund unknown here and no p_amount, or a cancel's
-- refund of a payment refunded in full already).
CREATE OR REPLACE PROCEDURE Sp_3Pay_Offline_Refund_Reported(
    IN p_out_trade_no   VARCHAR(255),
    IN p_out_request_no VARCHAR(255),
    IN p_amount         DECIMAL(65,30),
    IN p_refunded_at    DATETIME(3),
    IN p_source         VARCHAR(16)
)
MODIFIES SQL DATA
BEGIN
    DECLARE v_attempt  INT DEFAULT 0;
    DECLARE v_done     BOOLEAN DEFAULT FALSE;
    DECLARE v_now      DATETIME(3);
    DECLARE v_autoid   BIGINT UNSIGNED;
    DECLARE v_billtype CHAR(1);
    DECLARE v_billnum  VARCHAR(20);
    DECLARE v_status   VARCHAR(16);
    DECLARE v_paid     DECIMAL(12,2);
    DECLARE v_total    DECIMAL(12,2);
    DECLARE v_refund   BIGINT UNSIGNED;
    DECLARE v_amount   DECIMAL(65,30);
    DECLARE v_refundno VARCHAR(32);
    DECLARE v_changed  INT DEFAULT 0;
    DECLARE v_msg      VARCHAR(160);

    IF p_out_request_no IS NULL OR p_out_request_no = '' OR CHAR_LENGTH(p_out_request_no) > 64 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002, MESSAGE_TEXT = 'out_request_no must be 1-64 characters';
    END IF;
    IF p_source IS NULL OR p_source NOT IN ('notify', 'cancel') THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002, MESSAGE_TEXT = 'source must be notify or cancel';
    END IF;
    IF p_amount IS NOT NULL AND (p_amount <= 0 OR p_amount > 100000000 OR p_amount <> ROUND(p_amount, 2)) THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002,
            MESSAGE_TEXT = 'amount must be 0.01 to 100000000.00 with at most 2 decimal places';
    END IF;
    SELECT autoid, billtype, billnum INTO v_autoid, v_billtype, v_billnum
      FROM T_3Pay_Offline_ReceiveMoney WHERE out_trade_no = p_out_trade_no;
    IF v_autoid IS NULL THEN
        SET v_msg = CONCAT('Trade ', COALESCE(p_out_trade_no, 'NULL'), ' does not exist');
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50004, MESSAGE_TEXT = v_msg;
    END IF;

    attempts: LOOP
        SET v_attempt = v_attempt + 1;
        BEGIN
            DECLARE EXIT HANDLER FOR 1213
            BEGIN
                ROLLBACK;
                IF v_attempt >= 5 THEN
                    RESIGNAL;
                END IF;
            END;
            DECLARE EXIT HANDLER FOR SQLEXCEPTION
            BEGIN
                ROLLBACK;
                RESIGNAL;
            END;

            START TRANSACTION;
            SET v_now = UTC_TIMESTAMP(3);
            SET v_refund = NULL;
            SET v_changed = 0;
            SELECT billtype INTO v_billtype FROM T_3Pay_Offline_Bill
             WHERE billtype = v_billtype AND billnum = v_billnum FOR UPDATE;
            SELECT status, paid_amount, refunded_amount INTO v_status, v_paid, v_total
              FROM T_3Pay_Offline_ReceiveMoney WHERE autoid = v_autoid FOR UPDATE;
            IF v_status <> 'PAID' THEN
                SET v_msg = CONCAT('Trade ', p_out_trade_no, ' is not recorded as paid');
                SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50007, MESSAGE_TEXT = v_msg;
            END IF;
            SELECT refund_id INTO v_refund FROM T_3Pay_Offline_Refund
             WHERE autoid = v_autoid AND out_request_no = p_out_request_no FOR UPDATE;
            IF v_refund IS NULL THEN
                SET v_amount = COALESCE(p_amount, IF(p_source = 'cancel', v_paid - v_total, 0));
                IF v_amount > 0 THEN
                    -- Its refundno is Alipay's number, unless the bill has a refund of that number already (the
                    -- merchant's own refundno "1" and a portal refund numbered "1"): then 'AP' + a unique number.
                    SET v_refundno = LEFT(p_out_request_no, 32);
                    IF EXISTS (SELECT 1 FROM T_3Pay_Offline_Refund
                                WHERE billtype = v_billtype AND billnum = v_billnum AND refundno = v_refundno) THEN
                        SET v_refundno = CONCAT('AP', UUID_SHORT());
                    END IF;
                    INSERT INTO T_3Pay_Offline_Refund
                        (autoid, billtype, billnum, refundno, out_request_no, amount, status, source, created_at,
                         updated_at)
                    VALUES
                        (v_autoid, v_billtype, v_billnum, v_refundno, p_out_request_no, v_amount,
                         'PENDING', p_source, v_now, v_now);
                    SET v_refund = LAST_INSERT_ID();
                END IF;
            END IF;
            IF v_refund IS NOT NULL THEN
                CALL Sp_3Pay_Refund_Record(v_refund, p_refunded_at, v_changed);
            END IF;
            COMMIT;
            SET v_done = TRUE;
        END;
        IF v_done THEN
            LEAVE attempts;
        END IF;
        DO SLEEP(0.005 * v_attempt + RAND() * 0.01);
    END LOOP;

    SELECT v_changed AS changed, v.* FROM V_3Pay_Offline_Refund v WHERE v.refund_id = v_refund;
END$$

-- Returns the refund (V_3Pay_Offline_Refund) with this id; no row when there is none.
CREATE OR REPLACE PROCEDURE Sp_3Pay_Offline_Refund_Get(IN p_refund_id BIGINT UNSIGNED)
READS SQL DATA
BEGIN
    SELECT * FROM V_3Pay_Offline_Refund WHERE refund_id = p_refund_id;
END$$

-- Returns up to p_limit refunds whose outcome the sweep should settle with a refund query, least recently
-- updated first: PENDING ones, and REQUESTED ones whose caller's lease ran out (it stopped without an answer).
CREATE OR REPLACE PROCEDURE Sp_3Pay_Offline_Refund_Stale(IN p_limit INT)
READS SQL DATA
BEGIN
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002, MESSAGE_TEXT = 'limit must be between 1 and 1000';
    END IF;
    SELECT v.*
      FROM V_3Pay_Offline_Refund v
     WHERE v.status IN ('PENDING', 'REQUESTED')
       AND (v.lease_until IS NULL OR v.lease_until < UTC_TIMESTAMP(3))
     ORDER BY v.updated_at, v.refund_id
     LIMIT p_limit;
END$$

-- The refund sweep's work list, claimed: the refunds _Stale would list (same order), each given a lease of
-- p_lease_ms milliseconds (1-600000) so that no other sweeper, and no copy of the refund request, calls Alipay for
-- it meanwhile (a request finds it 'busy'). The lease ends when the outcome is recorded (_Refunded, _Failed,
-- _Pending) or its time runs out. Rows another claimer has locked are skipped; on a Galera cluster two nodes
-- claiming one refund at once conflict at certification, and the one that runs again no longer sees it.
-- Returns up to p_limit refunds (V_3Pay_Offline_Refund columns). Raises 50002 for a limit outside 1-1000 or a
-- lease outside 1-600000.
CREATE OR REPLACE PROCEDURE Sp_3Pay_Offline_Refund_ClaimStale(IN p_limit INT, IN p_lease_ms INT)
MODIFIES SQL DATA
BEGIN
    DECLARE v_attempt INT DEFAULT 0;
    DECLARE v_done    BOOLEAN DEFAULT FALSE;
    DECLARE v_now     DATETIME(3);
    DECLARE v_ids     TEXT;

    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002, MESSAGE_TEXT = 'limit must be between 1 and 1000';
    END IF;
    IF p_lease_ms IS NULL OR p_lease_ms NOT BETWEEN 1 AND 600000 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002,
            MESSAGE_TEXT = 'lease must be between 1 and 600000 milliseconds';
    END IF;

    attempts: LOOP
        SET v_attempt = v_attempt + 1;
        BEGIN
            DECLARE v_id  BIGINT UNSIGNED;
            DECLARE v_end BOOLEAN DEFAULT FALSE;
            DECLARE due CURSOR FOR
                SELECT refund_id
                  FROM T_3Pay_Offline_Refund
                 WHERE status IN ('PENDING', 'REQUESTED')
                   AND (lease_until IS NULL OR lease_until < v_now)
                 ORDER BY updated_at, refund_id
                 LIMIT p_limit
                   FOR UPDATE SKIP LOCKED;
            DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_end = TRUE;
            DECLARE EXIT HANDLER FOR 1213
            BEGIN
                ROLLBACK;
                IF v_attempt >= 5 THEN
                    RESIGNAL;
                END IF;
            END;
            DECLARE EXIT HANDLER FOR SQLEXCEPTION
            BEGIN
                ROLLBACK;
                RESIGNAL;
            END;

            SET v_ids = NULL;
            SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
            START TRANSACTION;
            SET v_now = UTC_TIMESTAMP(3);
            OPEN due;
            claiming: LOOP
                FETCH due INTO v_id;
                IF v_end THEN
                    LEAVE claiming;
                END IF;
                UPDATE T_3Pay_Offline_Refund
                   SET lease_until = v_now + INTERVAL p_lease_ms * 1000 MICROSECOND, lease_token = NULL
                 WHERE refund_id = v_id;
                SET v_ids = CONCAT_WS(',', v_ids, v_id);
            END LOOP;
            CLOSE due;
            COMMIT;
            SET v_done = TRUE;
        END;
        IF v_done THEN
            LEAVE attempts;
        END IF;
        DO SLEEP(0.005 * v_attempt + RAND() * 0.01);
    END LOOP;

    SELECT v.*
      FROM JSON_TABLE(CONCAT('[', COALESCE(v_ids, ''), ']'), '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) AS claimed
      JOIN V_3Pay_Offline_Refund v ON v.refund_id = claimed.id
     ORDER BY v.updated_at, v.refund_id;
END$$

DELIMITER ;
