-- ThreePay stored procedures for Alipay scan-code payment records. Re-runnable (CREATE OR REPLACE).
-- Apply with the mariadb command-line client, which understands DELIMITER: scripts/mariadb.sh apply-sql.
--
-- Conventions (details and the status life cycle: sql/README.md):
-- * Every procedure that returns a record returns the columns of V_3Pay_Offline_ReceiveMoney, in that order
--   (Begin and Paid put one extra column in front: `action` / `changed`). The ones on every ScanCode's path
--   (Begin, _QrIssued, _QrFailed, _Unknown, _Closed) write the columns out instead of reading the view, which the
--   server parses again on every use; MariaDBTests' ProcedureColumnsTests keeps the two lists equal.
-- * Rule violations raise SQLSTATE '45000' with an English MESSAGE_TEXT and a MYSQL_ERRNO naming the kind:
--     50001 already paid · 50002 invalid argument · 50003 not allowed in the record's current status
--     50004 no such record · 50005 paid amount differs from the recorded amount
-- * Procedures that write run their own transaction (call them with no transaction open), roll it back on any
--   error, and retry it up to 5 times on deadlock (1213, or a Galera certification conflict) before passing the
--   error on. A lock wait timeout (1205) is passed on at once: the caller waits again only while its own request
--   deadline allows (the service sets innodb_lock_wait_timeout = 1 per session).
-- * All of them are idempotent: repeating a call after a lost connection does not change the outcome.
-- * Times are UTC.

SET NAMES utf8mb4 COLLATE utf8mb4_bin;
SET SESSION sql_mode = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ZERO_DATE,NO_ZERO_IN_DATE,NO_ENGINE_SUBSTITUTION';

DELIMITER $$

-- Starts (or resumes) the payment of one bill. Returns one row: action + record columns, where action is
--   'new'         a fresh INITIATED record: precreate its out_trade_no at Alipay;
--   'existing'    the bill's payable record with the same amount, not expired: hand back its QR code, or
--                 (status INITIATED/UNKNOWN) precreate the same out_trade_no again;
--   'close_first' the bill's payable record differs (amount, or card number for billtype 7) or has expired:
--                 close that trade at Alipay, record it with _Closed, then call Begin again;
--   'busy'        another request holds the lease on the bill's current record (it is issuing or voiding the
--                 bill's QR code): nothing changed; call Begin again shortly (the record columns are that record).
-- With a p_lease_token, every answer that leaves Alipay work to do ('new', 'close_first', 'existing' without a QR
-- code) also gives the caller the lease on the record concerned for p_lease_ms milliseconds; the procedure that
-- records the outcome (_QrIssued, _QrFailed, _Unknown, _Closed) gives it back. A lease whose time has passed counts
-- as free. A NULL token neither takes nor respects a lease.
-- Raises 50001 when the bill is already paid, 50002 for invalid arguments (the first broken rule in the order the
-- CASE below lists them).
--
-- A new bill — the common case — costs three statements: the record, the bill row pointing at it, the record's
-- out_trade_no. A known bill costs that try's rollback more (see the comment at the bill row's INSERT).
CREATE OR REPLACE PROCEDURE Sp_3Pay_Offline_ReceiveMoney_Begin(
    IN p_billnum             VARCHAR(255),
    IN p_billtype            VARCHAR(255),
    IN p_body                TEXT,
    IN p_paytype             VARCHAR(255),
    -- Wider than the column so that a third decimal reaches the check below instead of being rounded away.
    IN p_paymentvalue        DECIMAL(65,30),
    IN p_detail              TEXT,
    IN p_clientip            VARCHAR(255),
    IN p_cardno              VARCHAR(255),
    IN p_qr_validity_seconds INT,
    IN p_lease_token         VARCHAR(64),
    IN p_lease_ms            INT
)
MODIFIES SQL DATA
BEGIN
    DECLARE v_attempt     INT DEFAULT 0;
    DECLARE v_done        BOOLEAN DEFAULT FALSE;
    DECLARE v_now         DATETIME(3);
    DECLARE v_current     BIGINT UNSIGNED;
    DECLARE v_status      VARCHAR(16);
    DECLARE v_amount      DECIMAL(12,2);
    DECLARE v_cardno      VARCHAR(20);
    DECLARE v_deadline    DATETIME(3);
    DECLARE v_lease       VARCHAR(64);
    DECLARE v_lease_until DATETIME(3);
    DECLARE v_autoid      BIGINT UNSIGNED;
    DECLARE v_action      VARCHAR(16);
    DECLARE v_msg         VARCHAR(128);
    DECLARE v_known_bill  BOOLEAN DEFAULT FALSE;
    DECLARE v_trade       VARCHAR(64);

    -- Every argument rule in one expression: the first one broken names itself.
    SET v_msg = CASE
        WHEN p_billtype IS NULL OR p_billtype NOT IN ('1', '2', '3', '4', '5', '6', '7')
            THEN 'billtype must be one of 1, 2, 3, 4, 5, 6, 7'
        WHEN p_billnum IS NULL OR TRIM(p_billnum) = '' THEN 'billnum is required'
        WHEN CHAR_LENGTH(p_billnum) > 20 THEN 'billnum must be at most 20 characters'
        WHEN p_body IS NULL OR TRIM(p_body) = '' THEN 'body is required'
        WHEN CHAR_LENGTH(p_body) > 512 THEN 'body must be at most 512 characters'
        WHEN p_paytype IS NULL OR TRIM(p_paytype) = '' THEN 'paytype is required'
        WHEN CHAR_LENGTH(p_paytype) > 2 THEN 'paytype must be at most 2 characters'
        WHEN p_paymentvalue IS NULL THEN 'paymentvalue is required'
        WHEN p_paymentvalue <= 0 THEN 'paymentvalue must be greater than 0'
        WHEN p_paymentvalue <> ROUND(p_paymentvalue, 2) THEN 'paymentvalue must have at most 2 decimal places'
        WHEN p_paymentvalue > 100000000 THEN 'paymentvalue must not exceed 100000000.00'
        WHEN CHAR_LENGTH(p_detail) > 2000 THEN 'detail must be at most 2000 characters'
        WHEN p_clientip IS NULL OR TRIM(p_clientip) = '' THEN 'clientip is required'
        WHEN CHAR_LENGTH(p_clientip) > 45 THEN 'clientip must be at most 45 characters'
        WHEN p_billtype = '7' AND (p_cardno IS NULL OR TRIM(p_cardno) = '') THEN 'cardno is required for billtype 7'
        WHEN CHAR_LENGTH(p_cardno) > 20 THEN 'cardno must be at most 20 characters'
        WHEN p_qr_validity_seconds IS NULL OR p_qr_validity_seconds NOT BETWEEN 1 AND 7200
            THEN 'QR validity must be between 1 and 7200 seconds'
        WHEN p_lease_token IS NOT NULL AND (p_lease_ms IS NULL OR p_lease_ms NOT BETWEEN 1 AND 600000)
            THEN 'lease must be between 1 and 600000 milliseconds'
    END;
    IF v_msg IS NOT NULL THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002, MESSAGE_TEXT = v_msg;
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
            SET v_status = NULL;
            SET v_action = NULL;
            IF v_known_bill THEN
                -- The bill row is the lock point: concurrent Begin calls for one bill queue up here.
                SELECT current_autoid INTO v_current
                  FROM T_3Pay_Offline_Bill
                 WHERE billtype = p_billtype AND billnum = p_billnum
                   FOR UPDATE;
                IF v_current IS NOT NULL THEN
                    -- A record without a QR code yet (INITIATED/UNKNOWN) expires one validity period after creation.
                    SELECT status, paymentvalue, cardno,
                           COALESCE(qr_expires_at, created_at + INTERVAL p_qr_validity_seconds SECOND),
                           lease_token, lease_until
                      INTO v_status, v_amount, v_cardno, v_deadline, v_lease, v_lease_until
                      FROM T_3Pay_Offline_ReceiveMoney
                     WHERE autoid = v_current
                       FOR UPDATE;
                END IF;

                IF v_status IN ('INITIATED', 'QR_ISSUED', 'UNKNOWN') AND p_lease_token IS NOT NULL
                   AND v_lease IS NOT NULL AND v_lease <> p_lease_token AND v_lease_until > v_now THEN
                    -- Another request is issuing or voiding this bill's code: nothing changes, the caller waits.
                    SET v_autoid = v_current;
                    SET v_action = 'busy';
                ELSEIF v_status = 'PAID' THEN
                    SET v_msg = CONCAT('Bill ', p_billnum, ' (type ', p_billtype, ') is already paid');
                    SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50001, MESSAGE_TEXT = v_msg;
                ELSEIF v_status IN ('INITIATED', 'QR_ISSUED', 'UNKNOWN') THEN
                    SET v_autoid = v_current;
                    SET v_action = IF(v_amount = p_paymentvalue AND (p_billtype <> '7' OR v_cardno <=> p_cardno)
                                      AND v_deadline > v_now, 'existing', 'close_first');
                    -- Alipay work left to do: the caller holds the lease until it records the outcome. Nothing
                    -- left (the QR code is handed back): a lease this caller held is given back.
                    IF p_lease_token IS NOT NULL AND (v_action = 'close_first' OR v_status <> 'QR_ISSUED') THEN
                        UPDATE T_3Pay_Offline_ReceiveMoney
                           SET lease_token = p_lease_token,
                               lease_until = v_now + INTERVAL p_lease_ms * 1000 MICROSECOND
                         WHERE autoid = v_autoid;
                    ELSEIF v_lease IS NOT NULL AND v_lease <=> p_lease_token THEN
                        UPDATE T_3Pay_Offline_ReceiveMoney SET lease_token = NULL, lease_until = NULL
                         WHERE autoid = v_autoid;
                    END IF;
                END IF;
                -- Otherwise (no record yet, or the current one is QR_FAILED/CLOSED) v_action stays NULL.
            END IF;

            IF v_action IS NULL THEN
                -- A new attempt, leased to the caller: the record, the bill's pointer to it, its out_trade_no.
                INSERT INTO T_3Pay_Offline_ReceiveMoney
                    (billnum, billtype, body, paytype, paymentvalue, detail, clientip, cardno, status, lease_token,
                     lease_until, created_at, updated_at)
                VALUES
                    (p_billnum, p_billtype, p_body, p_paytype, p_paymentvalue, p_detail, p_clientip,
                     NULLIF(p_cardno, ''), 'INITIATED', p_lease_token,
                     CASE WHEN p_lease_token IS NOT NULL THEN v_now + INTERVAL p_lease_ms * 1000 MICROSECOND END,
                     v_now, v_now);
                SET v_autoid = LAST_INSERT_ID();
                IF v_known_bill THEN
                    UPDATE T_3Pay_Offline_Bill
                       SET current_autoid = v_autoid, updated_at = v_now
                     WHERE billtype = p_billtype AND billnum = p_billnum;
                ELSE
                    -- The first try assumes a new bill. The bill row is the lock point, so a Begin for the same
                    -- bill waits here until this one ends. A row that was there already (not 1 row affected)
                    -- means a known bill: this record is rolled back (its autoid stays unused) and the known
                    -- bill's path above runs instead, without counting as a deadlock retry. The record locked
                    -- before the bill row is one no other transaction can see yet, so the lock order of the
                    -- other procedures (the bill, then its records) still holds.
                    INSERT INTO T_3Pay_Offline_Bill (billtype, billnum, current_autoid, created_at, updated_at)
                        VALUES (p_billtype, p_billnum, v_autoid, v_now, v_now)
                        ON DUPLICATE KEY UPDATE billtype = billtype;
                    IF ROW_COUNT() <> 1 THEN
                        ROLLBACK;
                        SET v_known_bill = TRUE;
                        SET v_autoid = NULL;
                        SET v_attempt = v_attempt - 1;
                        ITERATE attempts;
                    END IF;
                END IF;
                SET v_trade = CONCAT('TP', DATE_FORMAT(v_now, '%y%m%d%H%i%s'), p_billtype,
                                     LPAD(v_autoid, GREATEST(10, CHAR_LENGTH(v_autoid)), '0'));
                UPDATE T_3Pay_Offline_ReceiveMoney SET out_trade_no = v_trade WHERE autoid = v_autoid;
                SET v_action = 'new';
            END IF;
            COMMIT;
            SET v_done = TRUE;
        END;
        IF v_done THEN
            LEAVE attempts;
        END IF;
        DO SLEEP(0.005 * v_attempt + RAND() * 0.01);
    END LOOP;

    -- The view's columns written out (see the conventions above). A new record is answered from what this call
    -- wrote, without reading it back: every value below is the one the INSERT and the out_trade_no UPDATE stored
    -- (the amount has passed the two-decimal rule; MariaDBTests' BeginTests compare this row with _Get's).
    -- 'busy' for a bill without a record yet still answers one row (its record columns NULL).
    IF v_action = 'new' THEN
        SELECT v_action AS action, v_autoid AS autoid, p_billnum AS billnum, p_billtype AS billtype, p_body AS body,
               p_paytype AS paytype, CAST(p_paymentvalue AS DECIMAL(12,2)) AS paymentvalue, p_detail AS detail,
               p_clientip AS clientip, NULLIF(p_cardno, '') AS cardno, v_trade AS out_trade_no, NULL AS codeurl,
               'INITIATED' AS status, NULL AS qr_expires_at, NULL AS gateway_code, NULL AS gateway_sub_code,
               NULL AS gateway_msg, NULL AS trade_no, NULL AS paid_amount, NULL AS paid_at, NULL AS buyer_id,
               NULL AS paid_source, v_now AS created_at, v_now AS updated_at,
               CAST(0 AS DECIMAL(12,2)) AS refunded_amount;
    ELSEIF v_autoid IS NULL THEN
        SELECT v_action AS action, v.*
          FROM (SELECT 1 AS one) answer
          LEFT JOIN V_3Pay_Offline_ReceiveMoney v ON FALSE;
    ELSE
        SELECT v_action AS action, autoid, billnum, billtype, body, paytype, paymentvalue, detail, clientip, cardno,
               out_trade_no, codeurl, status, qr_expires_at, gateway_code, gateway_sub_code, gateway_msg, trade_no,
               paid_amount, paid_at, buyer_id, paid_source, created_at, updated_at, refunded_amount
          FROM T_3Pay_Offline_ReceiveMoney WHERE autoid = v_autoid;
    END IF;
END$$

-- Applies one gateway event to a record when the one-UPDATE path of _QrIssued, _QrFailed, _Unknown or _Closed did
-- not (a repeat, a record in another status, no such record): it decides by the transition table in
-- sql/README.md and raises 50004 / 50001 / 50003 where the table says so. A lease p_lease_token holds on the record
-- is given back. Returns nothing. p_event: 'qr_issued' | 'qr_failed' | 'unknown' | 'closed'.
CREATE OR REPLACE PROCEDURE Sp_3Pay_Offline_ReceiveMoney_Transition(
    IN p_autoid              BIGINT UNSIGNED,
    IN p_event               VARCHAR(16),
    IN p_codeurl             VARCHAR(1024),
    IN p_qr_validity_seconds INT,
    IN p_code                VARCHAR(32),
    IN p_sub_code            VARCHAR(64),
    IN p_msg                 VARCHAR(512),
    IN p_lease_token         VARCHAR(64)
)
MODIFIES SQL DATA
BEGIN
    DECLARE v_attempt INT DEFAULT 0;
    DECLARE v_done    BOOLEAN DEFAULT FALSE;
    DECLARE v_now     DATETIME(3);
    DECLARE v_status  VARCHAR(16);
    DECLARE v_trade   VARCHAR(64);
    DECLARE v_target  VARCHAR(16);
    DECLARE v_msg     VARCHAR(128);

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
            SELECT status, out_trade_no INTO v_status, v_trade
              FROM T_3Pay_Offline_ReceiveMoney
             WHERE autoid = p_autoid
               FOR UPDATE;

            -- v_target: the new status; NULL = keep the record as it is (a repeat, or a QR code already issued).
            SET v_target = CASE
                WHEN v_status IS NULL OR v_status = 'PAID' THEN NULL
                WHEN p_event = 'qr_issued' AND v_status IN ('INITIATED', 'UNKNOWN', 'QR_ISSUED') THEN 'QR_ISSUED'
                WHEN p_event = 'qr_failed' AND v_status IN ('INITIATED', 'UNKNOWN') THEN 'QR_FAILED'
                WHEN p_event = 'qr_failed' AND v_status IN ('QR_FAILED', 'QR_ISSUED') THEN NULL
                WHEN p_event = 'unknown' AND v_status IN ('INITIATED', 'UNKNOWN') THEN 'UNKNOWN'
                WHEN p_event = 'unknown' AND v_status = 'QR_ISSUED' THEN NULL
                WHEN p_event = 'closed' AND v_status IN ('INITIATED', 'QR_ISSUED', 'UNKNOWN') THEN 'CLOSED'
                WHEN p_event = 'closed' AND v_status = 'CLOSED' THEN NULL
                ELSE 'ILLEGAL'
            END;

            IF v_status IS NULL THEN
                SET v_msg = CONCAT('Payment record ', p_autoid, ' does not exist');
                SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50004, MESSAGE_TEXT = v_msg;
            ELSEIF v_status = 'PAID' THEN
                SET v_msg = CONCAT('Trade ', v_trade, ' is already paid');
                SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50001, MESSAGE_TEXT = v_msg;
            ELSEIF v_target = 'ILLEGAL' THEN
                SET v_msg = CONCAT('Payment record ', p_autoid, ' is ', v_status, ': cannot record ', p_event);
                SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50003, MESSAGE_TEXT = v_msg;
            ELSE
                UPDATE T_3Pay_Offline_ReceiveMoney
                   SET status = COALESCE(v_target, status),
                       codeurl = IF(v_target = 'QR_ISSUED', p_codeurl, codeurl),
                       qr_expires_at = IF(v_target = 'QR_ISSUED', v_now + INTERVAL p_qr_validity_seconds SECOND,
                                          qr_expires_at),
                       gateway_code = CASE v_target WHEN 'QR_FAILED' THEN p_code
                                                    WHEN 'QR_ISSUED' THEN NULL WHEN 'UNKNOWN' THEN NULL
                                                    ELSE gateway_code END,
                       gateway_sub_code = CASE v_target WHEN 'QR_FAILED' THEN p_sub_code
                                                        WHEN 'QR_ISSUED' THEN NULL WHEN 'UNKNOWN' THEN NULL
                                                        ELSE gateway_sub_code END,
                       gateway_msg = CASE v_target WHEN 'QR_FAILED' THEN p_msg WHEN 'UNKNOWN' THEN p_msg
                                                   WHEN 'QR_ISSUED' THEN NULL ELSE gateway_msg END,
                       lease_until = IF(lease_token = p_lease_token, NULL, lease_until),
                       lease_token = IF(lease_token = p_lease_token, NULL, lease_token),
                       updated_at = IF(v_target IS NULL, updated_at, v_now)
                 WHERE autoid = p_autoid;
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

-- Records the QR code Alipay returned for the record's out_trade_no; it expires after p_qr_validity_seconds, and
-- the lease p_lease_token holds on the record is given back. One UPDATE when the record is INITIATED, UNKNOWN or
-- QR_ISSUED (the usual case), else _Transition decides.
CREATE OR REPLACE PROCEDURE Sp_3Pay_Offline_ReceiveMoney_QrIssued(
    IN p_autoid              BIGINT UNSIGNED,
    IN p_codeurl             TEXT,
    IN p_qr_validity_seconds INT,
    IN p_lease_token         VARCHAR(64)
)
MODIFIES SQL DATA
BEGIN
    DECLARE v_msg VARCHAR(64) DEFAULT CASE
        WHEN p_codeurl IS NULL OR TRIM(p_codeurl) = '' THEN 'codeurl is required'
        WHEN CHAR_LENGTH(p_codeurl) > 1024 THEN 'codeurl must be at most 1024 characters'
        WHEN p_qr_validity_seconds IS NULL OR p_qr_validity_seconds NOT BETWEEN 1 AND 7200
            THEN 'QR validity must be between 1 and 7200 seconds'
    END;
    IF v_msg IS NOT NULL THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002, MESSAGE_TEXT = v_msg;
    END IF;
    UPDATE T_3Pay_Offline_ReceiveMoney
       SET status = 'QR_ISSUED', codeurl = p_codeurl,
           qr_expires_at = UTC_TIMESTAMP(3) + INTERVAL p_qr_validity_seconds SECOND, gateway_code = NULL,
           gateway_sub_code = NULL, gateway_msg = NULL,
           -- lease_until first: it reads lease_token before the next line clears it.
           lease_until = IF(lease_token = p_lease_token, NULL, lease_until),
           lease_token = IF(lease_token = p_lease_token, NULL, lease_token),
           updated_at = UTC_TIMESTAMP(3)
     WHERE autoid = p_autoid AND status IN ('INITIATED', 'UNKNOWN', 'QR_ISSUED');
    IF ROW_COUNT() = 0 THEN
        CALL Sp_3Pay_Offline_ReceiveMoney_Transition(p_autoid, 'qr_issued', p_codeurl, p_qr_validity_seconds,
                                                     NULL, NULL, NULL, p_lease_token);
    END IF;
    SELECT autoid, billnum, billtype, body, paytype, paymentvalue, detail, clientip, cardno, out_trade_no,
           codeurl, status, qr_expires_at, gateway_code, gateway_sub_code, gateway_msg, trade_no, paid_amount,
           paid_at, buyer_id, paid_source, created_at, updated_at, refunded_amount
      FROM T_3Pay_Offline_ReceiveMoney WHERE autoid = p_autoid;
END$$

-- Records that Alipay refused the precreate (a definite business answer), giving back the lease p_lease_token holds
-- on the record. Long texts are cut to the column size.
CREATE OR REPLACE PROCEDURE Sp_3Pay_Offline_ReceiveMoney_QrFailed(
    IN p_autoid      BIGINT UNSIGNED,
    IN p_code        VARCHAR(255),
    IN p_sub_code    VARCHAR(255),
    IN p_msg         TEXT,
    IN p_lease_token VARCHAR(64)
)
MODIFIES SQL DATA
BEGIN
    UPDATE T_3Pay_Offline_ReceiveMoney
       SET status = 'QR_FAILED', gateway_code = LEFT(p_code, 32), gateway_sub_code = LEFT(p_sub_code, 64),
           gateway_msg = LEFT(p_msg, 512), lease_until = IF(lease_token = p_lease_token, NULL, lease_until),
           lease_token = IF(lease_token = p_lease_token, NULL, lease_token), updated_at = UTC_TIMESTAMP(3)
     WHERE autoid = p_autoid AND status IN ('INITIATED', 'UNKNOWN');
    IF ROW_COUNT() = 0 THEN
        CALL Sp_3Pay_Offline_ReceiveMoney_Transition(p_autoid, 'qr_failed', NULL, NULL,
                                                     LEFT(p_code, 32), LEFT(p_sub_code, 64), LEFT(p_msg, 512),
                                                     p_lease_token);
    END IF;
    SELECT autoid, billnum, billtype, body, paytype, paymentvalue, detail, clientip, cardno, out_trade_no,
           codeurl, status, qr_expires_at, gateway_code, gateway_sub_code, gateway_msg, trade_no, paid_amount,
           paid_at, buyer_id, paid_source, created_at, updated_at, refunded_amount
      FROM T_3Pay_Offline_ReceiveMoney WHERE autoid = p_autoid;
END$$

-- Records that the precreate outcome is unknown (timeout, transport failure, system error at Alipay), giving back
-- the lease p_lease_token holds on the record.
CREATE OR REPLACE PROCEDURE Sp_3Pay_Offline_ReceiveMoney_Unknown(
    IN p_autoid      BIGINT UNSIGNED,
    IN p_reason      TEXT,
    IN p_lease_token VARCHAR(64)
)
MODIFIES SQL DATA
BEGIN
    UPDATE T_3Pay_Offline_ReceiveMoney
       SET status = 'UNKNOWN', gateway_code = NULL, gateway_sub_code = NULL, gateway_msg = LEFT(p_reason, 512),
           lease_until = IF(lease_token = p_lease_token, NULL, lease_until),
           lease_token = IF(lease_token = p_lease_token, NULL, lease_token), updated_at = UTC_TIMESTAMP(3)
     WHERE autoid = p_autoid AND status IN ('INITIATED', 'UNKNOWN');
    IF ROW_COUNT() = 0 THEN
        CALL Sp_3Pay_Offline_ReceiveMoney_Transition(p_autoid, 'unknown', NULL, NULL, NULL, NULL,
                                                     LEFT(p_reason, 512), p_lease_token);
    END IF;
    SELECT autoid, billnum, billtype, body, paytype, paymentvalue, detail, clientip, cardno, out_trade_no,
           codeurl, status, qr_expires_at, gateway_code, gateway_sub_code, gateway_msg, trade_no, paid_amount,
           paid_at, buyer_id, paid_source, created_at, updated_at, refunded_amount
      FROM T_3Pay_Offline_ReceiveMoney WHERE autoid = p_autoid;
END$$

-- Records that the trade was closed (or cancelled) at Alipay. A paid record never changes (50001). The lease
-- p_lease_token holds on the record is given back; with p_lease_token NULL nothing about the lease changes.
CREATE OR REPLACE PROCEDURE Sp_3Pay_Offline_ReceiveMoney_Closed(
    IN p_autoid      BIGINT UNSIGNED,
    IN p_lease_token VARCHAR(64)
)
MODIFIES SQL DATA
BEGIN
    UPDATE T_3Pay_Offline_ReceiveMoney
       SET status = 'CLOSED', lease_until = IF(lease_token = p_lease_token, NULL, lease_until),
           lease_token = IF(lease_token = p_lease_token, NULL, lease_token), updated_at = UTC_TIMESTAMP(3)
     WHERE autoid = p_autoid AND status IN ('INITIATED', 'QR_ISSUED', 'UNKNOWN');
    IF ROW_COUNT() = 0 THEN
        CALL Sp_3Pay_Offline_ReceiveMoney_Transition(p_autoid, 'closed', NULL, NULL, NULL, NULL, NULL,
                                                     p_lease_token);
    END IF;
    SELECT autoid, billnum, billtype, body, paytype, paymentvalue, detail, clientip, cardno, out_trade_no,
           codeurl, status, qr_expires_at, gateway_code, gateway_sub_code, gateway_msg, trade_no, paid_amount,
           paid_at, buyer_id, paid_source, created_at, updated_at, refunded_amount
      FROM T_3Pay_Offline_ReceiveMoney WHERE autoid = p_autoid;
END$$

-- Records a payment exactly once. Returns one row: changed (1 = recorded now, 0 = already recorded with the same
-- trade_no) + record columns. A payment is recorded from any unpaid status, CLOSED and QR_FAILED included:
-- money that arrived is never dropped. Raises 50004 for an unknown out_trade_no, 50005 when the amount differs
-- (nothing changes), 50003 when the record is already paid under another trade_no, 50002 for invalid arguments.
-- Recording (changed = 1) also writes the receipt, card credit and callback (Sp_3Pay_Receipt_Dispatch), whose
-- errors (50006) refuse the payment as a whole.
CREATE OR REPLACE PROCEDURE Sp_3Pay_Offline_ReceiveMoney_Paid(
    IN p_out_trade_no VARCHAR(255),
    IN p_trade_no     VARCHAR(255),
    IN p_total_amount DECIMAL(65,30),
    IN p_paid_at      DATETIME(3),
    IN p_buyer_id     VARCHAR(255),
    IN p_source       VARCHAR(255)
)
MODIFIES SQL DATA
BEGIN
    DECLARE v_attempt        INT DEFAULT 0;
    DECLARE v_done           BOOLEAN DEFAULT FALSE;
    DECLARE v_now            DATETIME(3);
    DECLARE v_autoid         BIGINT UNSIGNED;
    DECLARE v_billtype       CHAR(1);
    DECLARE v_billnum        VARCHAR(20);
    DECLARE v_current        BIGINT UNSIGNED;
    DECLARE v_current_status VARCHAR(16);
    DECLARE v_status         VARCHAR(16);
    DECLARE v_amount         DECIMAL(12,2);
    DECLARE v_trade_no       VARCHAR(64);
    DECLARE v_changed        INT;
    DECLARE v_msg            VARCHAR(128);

    IF p_out_trade_no IS NULL OR p_out_trade_no = '' THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002, MESSAGE_TEXT = 'out_trade_no is required';
    END IF;
    IF CHAR_LENGTH(p_out_trade_no) > 64 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002, MESSAGE_TEXT = 'out_trade_no must be at most 64 characters';
    END IF;
    IF p_trade_no IS NULL OR p_trade_no = '' THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002, MESSAGE_TEXT = 'trade_no is required';
    END IF;
    IF CHAR_LENGTH(p_trade_no) > 64 THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002, MESSAGE_TEXT = 'trade_no must be at most 64 characters';
    END IF;
    IF p_total_amount IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002, MESSAGE_TEXT = 'total_amount is required';
    END IF;
    IF p_source IS NULL OR p_source NOT IN ('notify', 'query', 'sweep') THEN
        SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50002, MESSAGE_TEXT = 'source must be notify, query or sweep';
    END IF;

    -- billtype/billnum of a record never change, so they may be read before locking.
    SELECT autoid, billtype, billnum INTO v_autoid, v_billtype, v_billnum
      FROM T_3Pay_Offline_ReceiveMoney
     WHERE out_trade_no = p_out_trade_no;
    IF v_autoid IS NULL THEN
        SET v_msg = CONCAT('Trade ', p_out_trade_no, ' does not exist');
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
            -- Same lock order as Begin (bill, then record), so the two cannot deadlock each other.
            SELECT current_autoid INTO v_current
              FROM T_3Pay_Offline_Bill
             WHERE billtype = v_billtype AND billnum = v_billnum
               FOR UPDATE;
            SELECT status, paymentvalue, trade_no INTO v_status, v_amount, v_trade_no
              FROM T_3Pay_Offline_ReceiveMoney
             WHERE autoid = v_autoid
               FOR UPDATE;

            IF v_amount <> p_total_amount THEN
                SET v_msg = CONCAT('Trade ', p_out_trade_no, ': paid amount differs from the recorded amount');
                SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50005, MESSAGE_TEXT = v_msg;
            END IF;

            IF v_status = 'PAID' THEN
                IF v_trade_no <> p_trade_no THEN
                    SET v_msg = CONCAT('Trade ', p_out_trade_no, ' is already paid under another trade_no');
                    SIGNAL SQLSTATE '45000' SET MYSQL_ERRNO = 50003, MESSAGE_TEXT = v_msg;
                END IF;
                SET v_changed = 0;
            ELSE
                UPDATE T_3Pay_Offline_ReceiveMoney
                   SET status = 'PAID', trade_no = p_trade_no, paid_amount = p_total_amount,
                       paid_at = COALESCE(p_paid_at, v_now), buyer_id = LEFT(NULLIF(p_buyer_id, ''), 64),
                       paid_source = p_source, updated_at = v_now
                 WHERE autoid = v_autoid;
                -- A bill whose current record is not this one (e.g. this one was closed and a new attempt
                -- started) now points at the payment, so Begin answers "already paid". A second paid
                -- record of the same bill keeps the pointer on the first one.
                IF v_current IS NULL OR v_current <> v_autoid THEN
                    SET v_current_status = NULL;
                    SELECT status INTO v_current_status
                      FROM T_3Pay_Offline_ReceiveMoney
                     WHERE autoid = v_current
                       FOR UPDATE;
                    IF v_current_status IS NULL OR v_current_status <> 'PAID' THEN
                        UPDATE T_3Pay_Offline_Bill
                           SET current_autoid = v_autoid, updated_at = v_now
                         WHERE billtype = v_billtype AND billnum = v_billnum;
                    END IF;
                END IF;
                -- The receipt, card credit and callback (sql/020_receipts.sql) are written in this transaction,
                -- so they exist exactly when the payment is recorded; an error there rolls the payment back.
                CALL Sp_3Pay_Receipt_Dispatch(v_autoid);
                SET v_changed = 1;
            END IF;
            COMMIT;
            SET v_done = TRUE;
        END;
        IF v_done THEN
            LEAVE attempts;
        END IF;
        DO SLEEP(0.005 * v_attempt + RAND() * 0.01);
    END LOOP;

    SELECT v_changed AS changed, v.* FROM V_3Pay_Offline_ReceiveMoney v WHERE v.autoid = v_autoid;
END$$

-- Returns the record with this autoid (no row when there is none).
CREATE OR REPLACE PROCEDURE Sp_3Pay_Offline_ReceiveMoney_Get(IN p_autoid BIGINT UNSIGNED)
READS SQL DATA
BEGIN
    SELECT * FROM V_3Pay_Offline_ReceiveMoney WHERE autoid = p_autoid;
END$$

-- Returns the bill's current record (no row when the bill has none).
CREATE OR REPLACE PROCEDURE Sp_3Pay_Offline_ReceiveMoney_GetByBill(
    IN p_billtype VARCHAR(255),
    IN p_billnum  VARCHAR(255)
)
READS SQL DATA
BEGIN
    SELECT v.*
      FROM T_3Pay_Offline_Bill b
      JOIN V_3Pay_Offline_ReceiveMoney v ON v.autoid = b.current_autoid
     WHERE b.billtype = p_billtype AND b.billnum = p_billnum;
END$$

-- Returns the record with this out_trade_no (no row when there is none).
CREATE OR REPLACE PROCEDURE Sp_3Pay_Offline_ReceiveMoney_GetByTradeNo(IN p_out_trade_no VARCHAR(255))
READS SQL DATA
BEGIN
    SELECT * FROM V_3Pay_Offline_ReceiveMoney WHERE out_trade_no = p_out_trade_no;
END$$

DELIMITER ;

DELIMITER $$

-- Gives back the lease p_lease_token holds on any of a bill's records (a request that took it with Begin and then
-- stopped without recording an outcome: the old code could not be voided, a payment was found instead). Returns
-- nothing; a lease held by another token, or none, is left as it is.
CREATE OR REPLACE PROCEDURE Sp_3Pay_Offline_Bill_Release(
    IN p_billtype    VARCHAR(255),
    IN p_billnum     VARCHAR(255),
    IN p_lease_token VARCHAR(64)
)
MODIFIES SQL DATA
BEGIN
    UPDATE T_3Pay_Offline_ReceiveMoney
       SET lease_token = NULL, lease_until = NULL
     WHERE billtype = p_billtype AND billnum = p_billnum AND lease_token = p_lease_token;
END$$

DELIMITER ;
